"""Engine and session factory; the embedded PostgreSQL when `DATABASE_URL` is unset."""

from rostersync.db.base import Base
from rostersync.db.engine import (
    Database,
    create_database,
    ensure_database_exists,
    open_database_url,
    to_asyncpg_url,
)

__all__ = [
    "Base",
    "Database",
    "create_database",
    "ensure_database_exists",
    "open_database_url",
    "to_asyncpg_url",
]
