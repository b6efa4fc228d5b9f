from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from rostersync.config import DatabaseSettings, Environment, NightlySyncSettings, Settings

GOOD_FERNET_KEY = "ZGV2LWluc2VjdXJlLXRva2VuLWtleS0zMi1ieXRlcyE="


def production(**values: object) -> Settings:
    return Settings.model_validate({"environment": Environment.PRODUCTION, **values})


def test_production_names_every_missing_setting() -> None:
    with pytest.raises(ValidationError) as excinfo:
        production(database=DatabaseSettings(database_url=None))
    message = str(excinfo.value)
    assert "SECRET_KEY" in message
    assert "TOKEN_ENCRYPTION_KEY" in message
    assert "DATABASE_URL" in message


def test_production_refuses_a_short_secret_key() -> None:
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        production(
            secret_key=SecretStr("short"),
            token_encryption_key=SecretStr(GOOD_FERNET_KEY),
            database=DatabaseSettings(database_url=SecretStr("postgresql://db/rostersync")),
        )


def test_production_starts_with_real_settings() -> None:
    settings = production(
        secret_key=SecretStr("x" * 40),
        token_encryption_key=SecretStr(GOOD_FERNET_KEY),
        database=DatabaseSettings(database_url=SecretStr("postgresql://db/rostersync")),
    )
    assert settings.is_production


def test_development_runs_on_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "TOKEN_ENCRYPTION_KEY", "DATABASE_URL", "ENVIRONMENT"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)
    assert settings.environment is Environment.DEVELOPMENT
    assert settings.secret_key_value
    assert settings.nightly_sync.timezone == "America/Los_Angeles"
    assert settings.nightly_sync.cron == "0 0 * * *"


def test_flat_environment_names_fill_the_groups(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLEVER_CLIENT_ID", "abc123")
    monkeypatch.setenv("CLEVER_API_BASE_URL", "http://127.0.0.1:8100")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/db")
    monkeypatch.setenv("NIGHTLY_SYNC_TIMEZONE", "America/New_York")
    settings = Settings()
    assert settings.clever.client_id == "abc123"
    assert str(settings.clever.api_base_url) == "http://127.0.0.1:8100/"
    assert settings.database.database_url is not None
    assert settings.nightly_sync.timezone == "America/New_York"


def test_token_encryption_key_must_be_a_fernet_key() -> None:
    with pytest.raises(ValidationError, match="Fernet key"):
        Settings(token_encryption_key=SecretStr("not-a-key"))


def test_unknown_timezone_is_named() -> None:
    with pytest.raises(ValidationError, match="Mars/Olympus_Mons"):
        NightlySyncSettings(timezone="Mars/Olympus_Mons")


def test_cron_needs_five_fields() -> None:
    with pytest.raises(ValidationError, match="five fields"):
        NightlySyncSettings(cron="0 0 *")


def test_database_url_must_be_postgresql() -> None:
    with pytest.raises(ValidationError, match=r"postgresql://"):
        DatabaseSettings(database_url=SecretStr("mysql://u@h/db"))


def test_operator_token_must_be_long() -> None:
    with pytest.raises(ValidationError, match="OPERATOR_TOKEN"):
        Settings(operator_token=SecretStr("short"))
