"""Every table, imported in one place so Alembic sees the whole schema."""

from rostersync.accounts.models import Account, Session
from rostersync.db.base import Base
from rostersync.districts.models import District
from rostersync.imports.models import SyncUpload
from rostersync.roster.models import Enrollment, School, Section, User
from rostersync.sso.models import GoogleLink, OAuthCodeUse
from rostersync.syncs.models import SyncChange, SyncRun, SyncWorker

__all__ = [
    "Account",
    "Base",
    "District",
    "Enrollment",
    "GoogleLink",
    "OAuthCodeUse",
    "School",
    "Section",
    "Session",
    "SyncChange",
    "SyncRun",
    "SyncUpload",
    "SyncWorker",
    "User",
]
