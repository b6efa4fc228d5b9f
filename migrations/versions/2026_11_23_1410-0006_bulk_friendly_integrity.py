"""set-based integrity checks for the bulk tables, and section membership digests

Row-level foreign keys on enrollments and sync_changes cost three index probes per row
(measured: 13 of 26 s to insert 624,000 enrollments). The same guarantees are kept by
statement-level constraint triggers that check each statement's rows in one anti-join:
an enrollment's section and user belong to its district, a change belongs to a run, and
deleting runs deletes their changes. `sections.members_digest` fingerprints a section's
members so a re-sync only diffs the enrollments of sections whose members changed.

Revision ID: 0006_bulk_friendly_integrity
Revises: 0005_staging_schema
Create Date: 2026-11-23 14:10:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_bulk_friendly_integrity"
down_revision: str | None = "0005_staging_schema"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENROLLMENT_CHECK = """
CREATE FUNCTION enrollments_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM new_rows n WHERE NOT EXISTS (
            SELECT 1 FROM sections s WHERE s.id = n.section_id AND s.district_id = n.district_id))
    THEN
        RAISE EXCEPTION 'an enrollment must name a section of its own district'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_enrollments_district_id_sections', TABLE = 'enrollments';
    END IF;
    IF EXISTS (SELECT 1 FROM new_rows n WHERE NOT EXISTS (
            SELECT 1 FROM users u WHERE u.id = n.user_id AND u.district_id = n.district_id))
    THEN
        RAISE EXCEPTION 'an enrollment must name a user of its own district'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_enrollments_district_id_users', TABLE = 'enrollments';
    END IF;
    RETURN NULL;
END $$;
"""

ROSTER_DELETE_CHECK = """
CREATE FUNCTION roster_check_not_enrolled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows o JOIN enrollments e
               ON (TG_TABLE_NAME = 'users' AND e.user_id = o.id)
               OR (TG_TABLE_NAME = 'sections' AND e.section_id = o.id))
    THEN
        RAISE EXCEPTION '% rows with enrollments cannot be deleted (deactivate them)', TG_TABLE_NAME
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_enrollments_district_id_' || TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;
"""

CHANGE_CHECK = """
CREATE FUNCTION sync_changes_check_run() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT sync_run_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM sync_runs r WHERE r.id = n.sync_run_id))
    THEN
        RAISE EXCEPTION 'a change must belong to a sync run'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_sync_changes_sync_run_id_sync_runs', TABLE = 'sync_changes';
    END IF;
    RETURN NULL;
END $$;
"""

RUN_DELETE_CASCADE = """
CREATE FUNCTION sync_runs_delete_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM sync_changes c USING old_rows o WHERE c.sync_run_id = o.id;
    RETURN NULL;
END $$;
"""


def _statement_trigger(name: str, table: str, event: str, transition: str, function: str) -> str:
    return (
        f"CREATE TRIGGER {name} AFTER {event} ON {table} "
        f"REFERENCING {transition} FOR EACH STATEMENT EXECUTE FUNCTION {function}()"
    )


def upgrade() -> None:
    op.drop_constraint("fk_enrollments_district_id_sections", "enrollments", type_="foreignkey")
    op.drop_constraint("fk_enrollments_district_id_users", "enrollments", type_="foreignkey")
    op.drop_constraint("fk_enrollments_district_id_districts", "enrollments", type_="foreignkey")
    op.drop_constraint("uq_sections_district_id_id", "sections", type_="unique")
    op.drop_index("ix_enrollments_district_id", table_name="enrollments")
    op.drop_constraint("fk_sync_changes_sync_run_id_sync_runs", "sync_changes", type_="foreignkey")
    op.add_column("sections", sa.Column("members_digest", sa.String(length=32), nullable=True))
    for function in (ENROLLMENT_CHECK, ROSTER_DELETE_CHECK, CHANGE_CHECK, RUN_DELETE_CASCADE):
        op.execute(function)
    for event in ("INSERT", "UPDATE"):
        op.execute(
            _statement_trigger(
                f"enrollments_references_{event.lower()}",
                "enrollments",
                event,
                "NEW TABLE AS new_rows",
                "enrollments_check_references",
            )
        )
        op.execute(
            _statement_trigger(
                f"sync_changes_run_{event.lower()}",
                "sync_changes",
                event,
                "NEW TABLE AS new_rows",
                "sync_changes_check_run",
            )
        )
    for table in ("users", "sections"):
        op.execute(
            _statement_trigger(
                f"{table}_not_enrolled_delete",
                table,
                "DELETE",
                "OLD TABLE AS old_rows",
                "roster_check_not_enrolled",
            )
        )
    op.execute(
        _statement_trigger(
            "sync_runs_delete_changes",
            "sync_runs",
            "DELETE",
            "OLD TABLE AS old_rows",
            "sync_runs_delete_changes",
        )
    )


def downgrade() -> None:
    for trigger, table in (
        ("enrollments_references_insert", "enrollments"),
        ("enrollments_references_update", "enrollments"),
        ("sync_changes_run_insert", "sync_changes"),
        ("sync_changes_run_update", "sync_changes"),
        ("users_not_enrolled_delete", "users"),
        ("sections_not_enrolled_delete", "sections"),
        ("sync_runs_delete_changes", "sync_runs"),
    ):
        op.execute(f"DROP TRIGGER {trigger} ON {table}")
    for function in (
        "enrollments_check_references",
        "roster_check_not_enrolled",
        "sync_changes_check_run",
        "sync_runs_delete_changes",
    ):
        op.execute(f"DROP FUNCTION {function}()")
    op.drop_column("sections", "members_digest")
    op.create_foreign_key(
        "fk_sync_changes_sync_run_id_sync_runs",
        "sync_changes",
        "sync_runs",
        ["sync_run_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index("ix_enrollments_district_id", "enrollments", ["district_id"])
    op.create_unique_constraint("uq_sections_district_id_id", "sections", ["district_id", "id"])
    op.create_foreign_key(
        "fk_enrollments_district_id_districts",
        "enrollments",
        "districts",
        ["district_id"],
        ["id"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        "fk_enrollments_district_id_users",
        "enrollments",
        "users",
        ["district_id", "user_id"],
        ["district_id", "id"],
        ondelete="RESTRICT",
    )
    op.create_foreign_key(
        "fk_enrollments_district_id_sections",
        "enrollments",
        "sections",
        ["district_id", "section_id"],
        ["district_id", "id"],
        ondelete="RESTRICT",
    )
