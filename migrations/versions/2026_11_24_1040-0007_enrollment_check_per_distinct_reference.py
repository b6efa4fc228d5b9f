"""check each enrollment statement's distinct sections and users, not every row

The statement-level check of migration 0006 probed sections and users once per inserted
row: a district's first sync inserts hundreds of thousands of enrollments naming a few
thousand sections and users, so the check cost a fifth of the insert (measured: 4.6 s to
insert 626,000 enrollments, 3.7 s when the check probes each distinct section and user
once). The guarantee is the same.

Revision ID: 0007_enrollment_check_distinct
Revises: 0006_bulk_friendly_integrity
Create Date: 2026-11-24 10:40:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_enrollment_check_distinct"
down_revision: str | None = "0006_bulk_friendly_integrity"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = """
CREATE OR REPLACE FUNCTION enrollments_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT district_id, section_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM sections s
                                 WHERE s.id = n.section_id AND s.district_id = n.district_id))
    THEN
        RAISE EXCEPTION 'an enrollment must name a section of its own district'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_enrollments_district_id_sections', TABLE = 'enrollments';
    END IF;
    IF EXISTS (SELECT 1 FROM (SELECT DISTINCT district_id, user_id FROM new_rows) n
               WHERE NOT EXISTS (SELECT 1 FROM users u
                                 WHERE u.id = n.user_id AND u.district_id = n.district_id))
    THEN
        RAISE EXCEPTION 'an enrollment must name a user of its own district'
            USING ERRCODE = 'foreign_key_violation',
                  CONSTRAINT = 'fk_enrollments_district_id_users', TABLE = 'enrollments';
    END IF;
    RETURN NULL;
END $$;
"""

PREVIOUS = """
CREATE OR REPLACE FUNCTION enrollments_check_references() RETURNS trigger LANGUAGE plpgsql AS $$
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


def upgrade() -> None:
    op.execute(CHECK)


def downgrade() -> None:
    op.execute(PREVIOUS)
