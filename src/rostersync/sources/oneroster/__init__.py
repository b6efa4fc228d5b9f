"""OneRoster CSV: an uploaded zip (or multipart parts) as a roster source.

    upload = await open_upload(zip_path, workdir=run_dir, max_bytes=settings.max_upload_bytes)
    async with OneRosterSource(upload) as source:    # a RosterSource for the sync engine
        await engine.run(source)                     # schools, users, sections
    source.skipped                                   # {"users.csv: role parent": 120, ...}

`open_upload` takes a zip file or {part file name: path} (names are matched case-insensitively,
in any folder of the zip) and checks, before any run: the four required files (orgs.csv,
users.csv, classes.csv, enrollments.csv; academicSessions.csv, courses.csv, manifest.csv and
OneRoster 1.2's roles.csv are read when present), every column the mapping reads, UTF-8
headers (a BOM is fine; `,` `;` or tab delimited), the manifest (delta files are refused),
the upload's size and the zip's safety (no entry outside it, no bomb). Anything wrong raises
OneRosterError (413 for sizes, else 422) with every problem's file, line and column.

The source then streams each file through a temporary SQLite index in `workdir`, so memory
stays flat whatever the upload's size. Mapping (`sourcedId` is the roster's clever_id):
- orgs of type `school` -> schools (`identifier` -> school_number); other types are skipped.
- users by role: student, teacher -> themselves; administrator (and 1.2's siteAdministrator,
  principal, counselor, systemAdministrator) -> staff; 1.2's districtAdministrator ->
  district_admin. Parents, guardians, relatives, aides and proctors are skipped (not
  rostered); an unknown role is rejected. `identifier` -> student_number, teacher_number or
  staff_id by role; `grades` (first) -> a student's grade; `orgSourcedIds` -> schools (an
  org not in orgs.csv rejects the user). `enabledUser=false` users are skipped, so the
  engine deactivates them like anyone the upload leaves out.
- classes -> sections (title, classCode, periods, subjects, grades, term titles from
  academicSessions.csv, course title from courses.csv); enrollments -> their member lists
  (`primary=true` marks the primary teacher).
Bad rows (a missing name, an unknown reference, a repeated sourcedId: the first row wins,
a value too long for the roster) become rejected records whose reason names file, line and
column; they never fail the run. `status` and `dateLastModified` are ignored (bulk files).
"""

from ._csv import CsvFile
from ._errors import OneRosterError, Problem
from ._source import OneRosterSource
from ._upload import DEFAULT_MAX_RATIO, OneRosterUpload, canonical_name, open_upload

__all__ = [
    "DEFAULT_MAX_RATIO",
    "CsvFile",
    "OneRosterError",
    "OneRosterSource",
    "OneRosterUpload",
    "Problem",
    "canonical_name",
    "open_upload",
]
