"""Typed settings, read from the environment and `.env`.

Settings are grouped by concern; each group reads its own prefix, so the environment
names stay the flat ones documented in `.env.example` (`CLEVER_CLIENT_ID`, ...).
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Development-only fallbacks. `Settings` refuses to start with them in production.
DEV_SECRET_KEY = "dev-insecure-secret-key-change-me"  # noqa: S105
DEV_TOKEN_ENCRYPTION_KEY = "ZGV2LWluc2VjdXJlLXRva2VuLWtleS0zMi1ieXRlcyE="  # noqa: S105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


def _env_config(prefix: str = "") -> SettingsConfigDict:
    return SettingsConfigDict(
        env_prefix=prefix, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )


class DatabaseSettings(BaseSettings):
    model_config = _env_config()

    database_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL; unset starts an embedded PostgreSQL under DATA_DIR.",
    )
    data_dir: Path = Field(default=Path(".data"), description="Where embedded data lives.")
    database_pool_size: int = Field(default=10, ge=1, le=200)

    @field_validator("database_url")
    @classmethod
    def _require_postgres(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        url = value.get_secret_value()
        if not url.startswith(("postgresql://", "postgresql+asyncpg://", "postgres://")):
            raise ValueError("DATABASE_URL must be a postgresql:// URL")
        return value


class CleverSettings(BaseSettings):
    model_config = _env_config("CLEVER_")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    api_base_url: AnyHttpUrl = AnyHttpUrl("https://api.clever.com")
    oauth_base_url: AnyHttpUrl = AnyHttpUrl("https://clever.com")
    redirect_uri: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000/sso/clever/callback")
    page_limit: int = Field(default=10000, ge=1, le=10000)

    @property
    def api_url(self) -> str:
        return str(self.api_base_url).rstrip("/")

    @property
    def oauth_url(self) -> str:
        return str(self.oauth_base_url).rstrip("/")


class GoogleSettings(BaseSettings):
    model_config = _env_config("GOOGLE_")

    client_id: str = ""
    client_secret: SecretStr = SecretStr("")
    discovery_url: AnyHttpUrl = AnyHttpUrl(
        "https://accounts.google.com/.well-known/openid-configuration"
    )
    redirect_uri: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000/sso/google/callback")


class NightlySyncSettings(BaseSettings):
    model_config = _env_config("NIGHTLY_SYNC_")

    cron: str = "0 0 * * *"
    timezone: str = "America/Los_Angeles"

    @field_validator("cron")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError("NIGHTLY_SYNC_CRON must have five fields, e.g. '0 0 * * *'")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"NIGHTLY_SYNC_TIMEZONE {value!r} is not an IANA time zone") from exc
        return value


class WorkerSettings(BaseSettings):
    """The role that executes queued runs."""

    model_config = _env_config("WORKER_")

    enabled: bool = Field(default=True, description="Execute queued syncs in this process.")
    concurrency: int = Field(default=2, ge=1, le=32, description="Syncs run at once per process.")
    lease_seconds: float = Field(
        default=60.0, gt=0, description="A run whose worker is silent this long is recovered."
    )
    poll_seconds: float = Field(
        default=5.0, gt=0, description="How often an idle worker looks for queued runs."
    )

    @property
    def heartbeat_seconds(self) -> float:
        return self.lease_seconds / 4


class SchedulerSettings(BaseSettings):
    """The role that enqueues nightly syncs, discovers districts and recovers stalled runs."""

    model_config = _env_config("SCHEDULER_")

    enabled: bool = Field(default=True, description="Run the cron jobs in this process.")
    discovery_minutes: float = Field(
        default=10.0, gt=0, description="How often Clever's district token list is read."
    )
    reaper_seconds: float = Field(
        default=15.0, gt=0, description="How often runs with an expired lease are recovered."
    )


class UploadSettings(BaseSettings):
    """OneRoster CSV uploads (POST /districts/{code}/imports, `rostersync import`)."""

    model_config = _env_config("UPLOAD_")

    max_bytes: int = Field(
        default=800_000_000,
        ge=1_000,
        description="The most an upload's CSV files may hold in all, unzipped (bytes).",
    )
    work_dir: Path | None = Field(
        default=None,
        description="Where uploads are unpacked and indexed while received or synced; "
        "unset: the system's temporary directory.",
    )


class Settings(BaseSettings):
    model_config = _env_config()

    environment: Environment = Environment.DEVELOPMENT
    log_level: Annotated[str, Field(pattern="^(DEBUG|INFO|WARNING|ERROR)$")] = "INFO"
    secret_key: SecretStr | None = None
    token_encryption_key: SecretStr | None = None
    operator_token: SecretStr | None = None
    platform_url: AnyHttpUrl = AnyHttpUrl("http://127.0.0.1:8000")
    api_enabled: bool = Field(default=True, description="Serve the HTTP API in this process.")
    initial_sync: bool = Field(
        default=True, description="Sync a newly discovered Clever district right away."
    )
    sse_keepalive_seconds: float = Field(default=15.0, gt=0, le=300)
    change_report_retention_days: int = Field(
        default=90, ge=1, description="Days a finished sync's change report is kept."
    )
    demo_admin_password: SecretStr | None = Field(
        default=None, description="`make run`: the demo Account Owner's password."
    )

    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    clever: CleverSettings = Field(default_factory=CleverSettings)
    google: GoogleSettings = Field(default_factory=GoogleSettings)
    nightly_sync: NightlySyncSettings = Field(default_factory=NightlySyncSettings)
    worker: WorkerSettings = Field(default_factory=WorkerSettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    upload: UploadSettings = Field(default_factory=UploadSettings)

    @field_validator("token_encryption_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(value.get_secret_value().encode())
        except (binascii.Error, ValueError) as exc:
            raise ValueError(_BAD_FERNET_KEY) from exc
        if len(raw) != 32:
            raise ValueError(_BAD_FERNET_KEY)
        return value

    @field_validator("operator_token")
    @classmethod
    def _long_operator_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("OPERATOR_TOKEN must be at least 32 characters long")
        return value

    @model_validator(mode="after")
    def _refuse_dev_defaults_in_production(self) -> Self:
        if self.environment is Environment.PRODUCTION:
            problems = list(self._production_problems())
            if problems:
                raise ValueError(
                    "ENVIRONMENT=production refuses development defaults: " + "; ".join(problems)
                )
        return self

    def _production_problems(self) -> list[str]:
        problems = []
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if len(secret) < 32 or secret == DEV_SECRET_KEY:
            problems.append("set SECRET_KEY to a random value of at least 32 characters")
        if self.token_encryption_key is None:
            problems.append("set TOKEN_ENCRYPTION_KEY (a Fernet key) to encrypt Clever tokens")
        if self.database.database_url is None:
            problems.append("set DATABASE_URL; the embedded PostgreSQL is for development only")
        return problems

    @property
    def secret_key_value(self) -> str:
        return self.secret_key.get_secret_value() if self.secret_key else DEV_SECRET_KEY

    @property
    def token_encryption_key_value(self) -> str:
        if self.token_encryption_key is None:
            return DEV_TOKEN_ENCRYPTION_KEY
        return self.token_encryption_key.get_secret_value()

    @property
    def is_production(self) -> bool:
        return self.environment is Environment.PRODUCTION


_BAD_FERNET_KEY = (
    "TOKEN_ENCRYPTION_KEY must be a Fernet key (32 url-safe base64-encoded bytes); "
    'make one with: python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"'
)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
