"""An uploaded roster, kept in PostgreSQL (the one state replicas share) until its run ends."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, LargeBinary, String
from sqlalchemy.dialects.postgresql import UUID
from sqlalchemy.orm import Mapped, mapped_column

from rostersync.db.base import Base


class SyncUpload(Base):
    """One chunk of one file of an upload (`users.csv`, ...), zlib-compressed.

    Written with the run in the request that accepted the upload, so a worker on any
    replica can read it; deleted once the run no longer needs it (it ended or is held).
    """

    __tablename__ = "sync_uploads"

    sync_run_id: Mapped[uuid.UUID] = mapped_column(
        UUID(as_uuid=True), ForeignKey("sync_runs.id", ondelete="CASCADE"), primary_key=True
    )
    file: Mapped[str] = mapped_column(String(40), primary_key=True)
    part: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)
