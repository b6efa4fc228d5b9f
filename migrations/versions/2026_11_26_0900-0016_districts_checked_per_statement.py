"""users' district checked once per statement; the sections' check left to their school's

A row-level foreign key runs a locking lookup of the referenced row for every row written.
A district's first sync inserts a million users into one district: measured on 324,753
users, the insert took 4.8 s with `fk_users_district_id_districts` and 2.2 s without it,
while a statement-level trigger that checks (and locks, KEY SHARE, as the key did) each
distinct district of the statement's rows once cost nothing measurable. Deleting a district
that still has users is refused by a trigger on `districts`, as `ON DELETE RESTRICT` did.
The guarantee is unchanged: a user belongs to a district that exists, or the statement fails.
Like enrollments (migration 0006), users are no longer reached by `TRUNCATE districts CASCADE`:
the application never truncates, and whoever does (a test's clean-up) names them.

`fk_sections_district_id_districts` is dropped: a section's `(district_id, school_id)` must
name a school of that district (`fk_sections_district_id_schools`), and a school's district
must exist, so the second lookup per section checked nothing the first had not.

Revision ID: 0016_districts_per_statement
Revises: 0015_ids_byte_order
Create Date: 2026-11-26 09:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016_districts_per_statement"
down_revision: str | None = "0015_ids_byte_order"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USERS_CHECK = """
CREATE FUNCTION users_check_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Each district once, locked as a foreign key would lock it, until the transaction ends.
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT district_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM districts d WHERE d.id = n.district_id
                                 FOR KEY SHARE))
    THEN
        RAISE EXCEPTION 'a user must belong to a district'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_users_district_id_districts', TABLE = 'users';
    END IF;
    RETURN NULL;
END $$;
"""

DISTRICT_DELETE_CHECK = """
CREATE FUNCTION districts_check_no_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows o WHERE EXISTS
               (SELECT 1 FROM users u WHERE u.district_id = o.id))
    THEN
        RAISE EXCEPTION 'a district with users cannot be deleted'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_users_district_id_districts', TABLE = 'users';
    END IF;
    RETURN NULL;
END $$;
"""


def _statement_trigger(name: str, table: str, event: str, transition: str, function: str) -> str:
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} "
        f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def upgrade() -> None:
    op.drop_constraint("fk_users_district_id_districts", "users", type_="foreignkey")
    op.drop_constraint("fk_sections_district_id_districts", "sections", type_="foreignkey")
    op.execute(USERS_CHECK)
    op.execute(DISTRICT_DELETE_CHECK)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            _statement_trigger(
                f"users_district_{event.lower()}",
                "users",
                event,
                "NEW TABLE AS new_rows",
                "users_check_district",
            )
        )
    op.execute(
        _statement_trigger(
            "districts_no_users_delete",
            "districts",
            "DELETE",
            "OLD TABLE AS old_rows",
            "districts_check_no_users",
        )
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER districts_no_users_delete ON districts")
    for event in ("insert", "update"):
        op.execute(f"DROP TRIGGER users_district_{event} ON users")
    op.execute("DROP FUNCTION districts_check_no_users()")
    op.execute("DROP FUNCTION users_check_district()")
    op.create_foreign_key(
        "fk_sections_district_id_districts",
        "sections",
        "districts",
        ["district_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        "fk_users_district_id_districts",
        "users",
        "districts",
        ["district_id"],
        ["id"],
        ondelete="RESTRICT",
    )
