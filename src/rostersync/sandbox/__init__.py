"""The offline Clever: a faithful fake of Clever's Data, Events, OAuth and OIDC APIs.

It serves a deterministic synthetic district of any size (records are generated
on demand from the seed) and knows the protocol only: it imports nothing from
the rest of rostersync.

Served paths:

* ``/v3.0`` and ``/v3.1``: ``districts``, ``schools``, ``users`` (``role=``),
  ``sections``, ``terms``, ``courses`` (+ ``/{id}``), ``me``, ``events`` (+ ``/{id}``)
  with district bearer tokens; SSO user tokens read ``me``, their own user and
  their district only.
* ``GET/POST /oauth/tokens``, ``GET/POST /oauth/authorize``, ``/userinfo``,
  ``/.well-known/openid-configuration``, ``/oauth/certs`` (alias ``/oauth/jwks``),
  ``GET /_sandbox/portal-login?user=...``.
* With ``SandboxConfig(control=True)``: ``POST /_sandbox/{add,update,unshare,reshare}``
  ``{"type": "students", "count": 2 | "ids": [...], "district": <index|id>}``,
  ``POST /_sandbox/revoke {"district": ...}``, ``POST /_sandbox/reset``,
  ``GET /_sandbox/state`` and ``GET/POST/DELETE /_sandbox/faults[/{id}]`` with
  ``{"kind": <FAULT_KINDS>, "path_prefix": "/v3", "fraction": 1.0, "count": N,
  "status": 503, "seconds": 30, "retry_after": true}``.
"""

from ._app import create_sandbox_app, sandbox_state
from ._config import SandboxConfig
from ._faults import FAULT_KINDS
from ._state import SandboxState

__all__ = [
    "FAULT_KINDS",
    "SandboxConfig",
    "SandboxState",
    "create_sandbox_app",
    "sandbox_state",
]
