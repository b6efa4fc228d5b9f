"""The schema itself refuses bad states, whatever code writes to it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rostersync.db.errors import violated_constraint

Insert = Callable[..., Awaitable[int]]


@pytest.fixture
def insert(session: AsyncSession) -> Insert:
    async def insert_row(table: str, **values: Any) -> int:
        columns = ", ".join(values)
        params = ", ".join(f":{name}" for name in values)
        statement = text(f"INSERT INTO {table} ({columns}) VALUES ({params}) RETURNING *")  # noqa: S608
        row = (await session.execute(statement, values)).one()
        return int(row._mapping.get("id", 0))  # enrollments have no id

    return insert_row


async def expect_violation(
    session: AsyncSession, action: Awaitable[object], constraint: str
) -> None:
    with pytest.raises(IntegrityError) as excinfo:
        async with session.begin_nested():
            await action
    assert violated_constraint(excinfo.value) == constraint


async def district(insert: Insert, code: str = "ALPHA") -> int:
    return await insert("districts", code=code, name=code.title())


async def user(insert: Insert, district_id: int, clever_id: str, **extra: Any) -> int:
    values = {"roles": ["student"], "name_first": "Ada", "name_last": "L", **extra}
    return await insert("users", district_id=district_id, clever_id=clever_id, **values)


async def test_clever_id_is_unique_within_a_district(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    await user(insert, alpha, "u1")
    await expect_violation(session, user(insert, alpha, "u1"), "uq_users_district_id_clever_id")


async def test_the_same_clever_id_may_exist_in_two_districts(insert: Insert) -> None:
    alpha, beta = await district(insert, "ALPHA"), await district(insert, "BETA")
    assert await user(insert, alpha, "u1") != await user(insert, beta, "u1")


async def test_unknown_roles_are_refused(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    await expect_violation(session, user(insert, alpha, "u1", roles=["parent"]), "ck_users_roles")
    await expect_violation(session, user(insert, alpha, "u2", roles=[]), "ck_users_roles")


async def test_emails_are_stored_lower_case(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    await expect_violation(
        session, user(insert, alpha, "u1", email="Ada@School.org"), "ck_users_email_lower"
    )


async def test_active_and_deactivated_at_agree(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    await expect_violation(
        session, user(insert, alpha, "u1", active=False), "ck_users_active_matches_deactivated"
    )


async def test_a_user_belongs_to_a_district_that_exists(
    session: AsyncSession, insert: Insert
) -> None:
    alpha = await district(insert)
    await expect_violation(
        session, user(insert, alpha + 1000, "u1"), "fk_users_district_id_districts"
    )
    member = await user(insert, alpha, "u2")
    await expect_violation(
        session,
        session.execute(
            text("UPDATE users SET district_id = :d WHERE id = :id"),
            {"d": alpha + 1000, "id": member},
        ),
        "fk_users_district_id_districts",
    )


async def test_a_district_with_users_cannot_be_deleted(
    session: AsyncSession, insert: Insert
) -> None:
    alpha, beta = await district(insert, "ALPHA"), await district(insert, "BETA")
    await user(insert, alpha, "u1")
    delete = text("DELETE FROM districts WHERE id = :id")
    await expect_violation(
        session, session.execute(delete, {"id": alpha}), "fk_users_district_id_districts"
    )
    await session.execute(delete, {"id": beta})  # nobody in it


async def test_a_section_sits_in_a_school_of_its_district(
    session: AsyncSession, insert: Insert
) -> None:
    alpha, beta = await district(insert, "ALPHA"), await district(insert, "BETA")
    school = await insert("schools", district_id=beta, clever_id="s1", name="School")
    await expect_violation(
        session,
        insert("sections", district_id=alpha, clever_id="c1", name="Math", school_id=school),
        "fk_sections_district_id_schools",
    )
    await expect_violation(
        session,
        insert("sections", district_id=alpha + 1000, clever_id="c1", name="Math", school_id=school),
        "fk_sections_district_id_schools",
    )


async def test_an_enrollment_cannot_cross_districts(session: AsyncSession, insert: Insert) -> None:
    alpha, beta = await district(insert, "ALPHA"), await district(insert, "BETA")
    school = await insert("schools", district_id=alpha, clever_id="s1", name="School")
    section = await insert(
        "sections", district_id=alpha, clever_id="c1", name="Math", school_id=school
    )
    outsider = await user(insert, beta, "u1")
    await expect_violation(
        session,
        insert(
            "enrollments", district_id=alpha, section_id=section, user_id=outsider, role="student"
        ),
        "fk_enrollments_district_id_users",
    )


async def test_an_enrollment_cannot_name_another_districts_section(
    session: AsyncSession, insert: Insert
) -> None:
    alpha, beta = await district(insert, "ALPHA"), await district(insert, "BETA")
    school = await insert("schools", district_id=beta, clever_id="s1", name="School")
    foreign = await insert(
        "sections", district_id=beta, clever_id="c1", name="Math", school_id=school
    )
    student = await user(insert, alpha, "u1")
    await expect_violation(
        session,
        insert(
            "enrollments", district_id=alpha, section_id=foreign, user_id=student, role="student"
        ),
        "fk_enrollments_district_id_sections",
    )


async def test_only_teachers_are_primary(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    school = await insert("schools", district_id=alpha, clever_id="s1", name="School")
    section = await insert(
        "sections", district_id=alpha, clever_id="c1", name="Math", school_id=school
    )
    student = await user(insert, alpha, "u1")
    await expect_violation(
        session,
        insert(
            "enrollments",
            district_id=alpha,
            section_id=section,
            user_id=student,
            role="student",
            is_primary=True,
        ),
        "ck_enrollments_primary_is_teacher",
    )


async def test_one_active_sync_run_per_district(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)

    async def queue() -> object:
        return await session.execute(
            text(
                "INSERT INTO sync_runs (district_id, trigger, started_by) "
                "VALUES (:d, 'on_demand', 'owner')"
            ),
            {"d": alpha},
        )

    await queue()
    await expect_violation(session, queue(), "uq_sync_runs_one_active_per_district")


async def test_a_finished_run_frees_the_district(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    await session.execute(
        text(
            "INSERT INTO sync_runs (district_id, trigger, started_by, status, started_at, "
            "finished_at) VALUES (:d, 'scheduled', 'system', 'successful', now(), now())"
        ),
        {"d": alpha},
    )
    await session.execute(
        text(
            "INSERT INTO sync_runs (district_id, trigger, started_by) VALUES (:d, 'initial', 'x')"
        ),
        {"d": alpha},
    )


async def test_a_held_run_needs_a_reason(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    statement = text(
        "INSERT INTO sync_runs (district_id, trigger, started_by, status, started_at) "
        "VALUES (:d, 'scheduled', 'system', 'on_hold', now())"
    )
    await expect_violation(
        session, session.execute(statement, {"d": alpha}), "ck_sync_runs_held_has_reason"
    )


async def test_unknown_sync_status_is_refused(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    statement = text(
        "INSERT INTO sync_runs (district_id, trigger, started_by, status, started_at) "
        "VALUES (:d, 'scheduled', 'system', 'exploded', now())"
    )
    await expect_violation(session, session.execute(statement, {"d": alpha}), "ck_sync_runs_status")


async def test_one_account_owner_per_district(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    await insert("accounts", district_id=alpha, username="owner", password_hash="h")
    await expect_violation(
        session,
        insert("accounts", district_id=alpha, username="second", password_hash="h"),
        "uq_accounts_district_id",
    )


async def test_district_codes_follow_the_format(session: AsyncSession, insert: Insert) -> None:
    await expect_violation(session, district(insert, "lower"), "ck_districts_code_format")


async def test_a_missing_mandatory_name_is_refused(session: AsyncSession, insert: Insert) -> None:
    alpha = await district(insert)
    with pytest.raises(DBAPIError):
        async with session.begin_nested():
            await user(insert, alpha, "u1", name_first=None)
