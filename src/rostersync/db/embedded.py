"""An embedded PostgreSQL for development and tests, so nothing needs installing.

`pgserver` ships PostgreSQL 16 binaries in its wheel; it runs the server on a Unix socket
inside the data directory (as a dedicated system user when we are root, since PostgreSQL
refuses to run as root) and stops it when the last process using it lets go.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)


class EmbeddedPostgresError(RuntimeError):
    pass


# initdb's defaults suit a tiny server; a sync writes millions of rows in one transaction.
# Checkpoints spaced out and more memory per sort make that several times faster.
TUNING = {
    "shared_buffers": "256MB",
    "work_mem": "64MB",
    "maintenance_work_mem": "256MB",
    # A bulk insert fills initdb's 8 MB of WAL buffers in milliseconds, then every backend
    # waits on WAL writes: 128 MB made a 630,000-row enrollment insert 30% faster.
    "wal_buffers": "128MB",
    "max_wal_size": "8GB",
    "checkpoint_timeout": "30min",
}


class EmbeddedPostgres:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.resolve()
        self._server: Any = None

    def start(self) -> None:
        """Start (or join) the server; blocking, call it from a thread in async code."""
        # Imported here: it has side effects and is needed only when actually embedding.
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset, as in containers and CI.
            warnings.simplefilter("ignore", UserWarning)
            try:
                import pgserver
            except ImportError as exc:
                raise EmbeddedPostgresError(
                    "DATABASE_URL is unset and the embedded PostgreSQL is not installed: "
                    "set DATABASE_URL, or install rostersync[embedded]"
                ) from exc

        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._server = pgserver.get_server(  # type: ignore[attr-defined]
                self.data_dir, cleanup_mode="stop"
            )
            if self._tune():  # shared_buffers needs a restart to apply
                self._server.cleanup()
                self._server = pgserver.get_server(  # type: ignore[attr-defined]
                    self.data_dir, cleanup_mode="stop"
                )
        except Exception as exc:
            raise EmbeddedPostgresError(
                f"could not start the embedded PostgreSQL in {self.data_dir}: {exc}. "
                f"See {self.data_dir / 'log'}, or set DATABASE_URL to use another PostgreSQL."
            ) from exc
        logger.info("embedded postgres started", extra={"data_dir": str(self.data_dir)})

    def _tune(self) -> bool:
        """Apply what TUNING lacks (a new server, or one from an older release).

        True when something changed: the caller restarts, since buffers apply only then.
        """
        missing = {
            name: value
            for name, value in TUNING.items()
            if value not in self._server.psql(f"SHOW {name};")
        }
        if not missing:
            return False
        self._server.psql("".join(f"ALTER SYSTEM SET {k} = '{v}';" for k, v in missing.items()))
        return True

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            logger.info("embedded postgres stopped", extra={"data_dir": str(self.data_dir)})

    def url(self, database: str) -> str:
        """A SQLAlchemy asyncpg URL for `database` on this server's socket."""
        if self._server is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL is not running")
        socket_dir = parse_qs(urlsplit(self._server.get_uri()).query)["host"][0]
        return f"postgresql+asyncpg://postgres@/{database}?host={socket_dir}"
