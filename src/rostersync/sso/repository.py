from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.sso.models import GoogleLink, OAuthCodeUse


async def record_code_use(
    session: AsyncSession, provider: str, code_hash: bytes, now: datetime
) -> bool:
    """True the first time a code is seen; False if it was used before (a replay).

    Two concurrent uses of one code: the second waits on the first's row and then sees it.
    """
    result = await session.execute(
        insert(OAuthCodeUse)
        .values(provider=provider, code_hash=code_hash, used_at=now)
        .on_conflict_do_nothing()
        .returning(OAuthCodeUse.code_hash)
    )
    return result.first() is not None


async def delete_code_uses_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(OAuthCodeUse).where(OAuthCodeUse.used_at < cutoff))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def find_google_link(
    session: AsyncSession, district_id: int, google_sub: str
) -> GoogleLink | None:
    result = await session.execute(
        select(GoogleLink).where(
            GoogleLink.district_id == district_id, GoogleLink.google_sub == google_sub
        )
    )
    return result.scalar_one_or_none()


async def link_google_account(
    session: AsyncSession, district_id: int, user_id: int, google_sub: str, now: datetime
) -> None:
    """Link `google_sub` to the person; a person whose Google account changed is relinked."""
    statement = insert(GoogleLink).values(
        district_id=district_id, user_id=user_id, google_sub=google_sub, last_used_at=now
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[GoogleLink.district_id, GoogleLink.user_id],
            set_={"google_sub": statement.excluded.google_sub, "last_used_at": now},
        )
    )


async def touch_google_link(session: AsyncSession, link: GoogleLink, now: datetime) -> None:
    await session.execute(
        update(GoogleLink).where(GoogleLink.id == link.id).values(last_used_at=now)
    )
