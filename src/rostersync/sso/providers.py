"""The sign-in methods of one process, built in the app's lifespan around its HTTP client."""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from rostersync.config import Settings
from rostersync.sso.clever import CleverSignIn
from rostersync.sso.flow import FlowSealer
from rostersync.sso.google import GoogleSignIn
from rostersync.sso.oidc import ClientCredentials, OidcProvider


@dataclass(frozen=True)
class SignIns:
    clever: CleverSignIn
    google: GoogleSignIn
    sealer: FlowSealer


def build_sign_ins(http: httpx.AsyncClient, settings: Settings) -> SignIns:
    clever, google = settings.clever, settings.google
    clever_provider = OidcProvider(
        http,
        name="Clever",
        discovery_url=f"{clever.oauth_url}/.well-known/openid-configuration",
        credentials=ClientCredentials(
            clever.client_id, clever.client_secret.get_secret_value(), str(clever.redirect_uri)
        ),
    )
    google_provider = OidcProvider(
        http,
        name="Google",
        discovery_url=str(google.discovery_url),
        credentials=ClientCredentials(
            google.client_id, google.client_secret.get_secret_value(), str(google.redirect_uri)
        ),
    )
    return SignIns(
        clever=CleverSignIn(clever_provider, http, clever),
        google=GoogleSignIn(google_provider),
        sealer=FlowSealer(settings.secret_key_value),
    )
