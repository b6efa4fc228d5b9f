"""Word lists and the Clever enums the synthetic district draws from.

Enum values are the ones Clever's v3.0/v3.1 specs allow; names deliberately
include accents, apostrophes and hyphens because real rosters do.
"""

from __future__ import annotations

import unicodedata


def slug(name: str) -> str:
    """ASCII, lower-case form of a name for usernames and emails."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _words(text: str) -> tuple[str, ...]:
    # Comma-separated so long lists stay compact (names may contain spaces).
    return tuple(word.strip() for word in text.split(","))


FIRST_NAMES: tuple[str, ...] = _words(
    "Aaliyah,Aarav,Abigail,Adrián,Aiden,Aisha,Alejandro,Alexander,Amara,Amelia,Ana,Andrés,"
    "Aria,Ava,Benjamin,Bianca,Brooklyn,Caleb,Camila,Carlos,Charlotte,Chloé,Daniel,David,"
    "Diego,Dylan,Elijah,Elena,Ella,Emily,Emma,Ethan,Evelyn,Ezra,Fatima,Gabriel,Grace,"
    "Hannah,Harper,Henry,Hiroshi,Imani,Isabella,Isaiah,Jack,Jackson,Jacob,James,Jasmine,"
    "Jayden,Jiayi,John,José,Joseph,Joshua,Julia,Kai,Kayla,Leah,Leo,Liam,Lily,Logan,Lucas,"
    "Luna,Madison,Malik,Maria,Mason,Mateo,Maya,Mia,Michael,Mohammed,Naomi,Noah,Nora,"
    "Oliver,Olivia,Priya,Rafael,Riley,Samuel,Santiago,Sarah,Scarlett,Sebastián,Sofia,"
    "Sophia,Thomas,Valentina,Victoria,William,Wyatt,Xavier,Yuki,Zoë,Zoe,Mary-Kate,"
    "Jean-Luc"
)
LAST_NAMES: tuple[str, ...] = _words(
    "Adams,Ahmed,Allen,Anderson,Baker,Bennett,Brooks,Brown,Campbell,Carter,Chen,Clark,"
    "Collins,Cruz,Davis,Díaz,Edwards,Evans,Flores,García,Gomez,González,Green,Gupta,Hall,"
    "Harris,Hernández,Hill,Huang,Jackson,Johnson,Jones,Kelly,Kim,King,Lee,Lewis,Li,López,"
    "Martin,Martínez,Miller,Mitchell,Moore,Morales,Morgan,Murphy,Nelson,Nguyen,Nguyễn,"
    "O'Brien,O'Connor,Ortiz,Parker,Patel,Pérez,Phillips,Ramírez,Reed,Reyes,Rivera,Roberts,"
    "Robinson,Rodríguez,Rogers,Sanchez,Scott,Shah,Singh,Smith,Stewart,Sullivan,Taylor,"
    "Thomas,Thompson,Torres,Tran,Turner,Walker,Wang,Ward,Washington,White,Williams,Wilson,"
    "Wright,Wu,Yamamoto,Young,Zhang,Smith-Jones,van der Berg,St. Clair,MacDonald"
)
FIRST_SLUGS: tuple[str, ...] = tuple(slug(n) for n in FIRST_NAMES)
LAST_SLUGS: tuple[str, ...] = tuple(slug(n) for n in LAST_NAMES)

CITIES: tuple[tuple[str, str, str], ...] = (
    ("Springfield", "IL", "627"),
    ("Riverside", "CA", "925"),
    ("Franklin", "TN", "370"),
    ("Greenville", "SC", "296"),
    ("Fairview", "OR", "970"),
    ("Madison", "WI", "537"),
    ("Georgetown", "TX", "786"),
    ("Clinton", "MA", "015"),
    ("Salem", "NH", "030"),
    ("Arlington", "VA", "222"),
)
STREETS: tuple[str, ...] = _words(
    "Oak St,Maple Ave,Cedar Ln,Pine St,Elm St,Washington Blvd,Lake Dr,Hill Rd,Park Ave,"
    "Main St,Sunset Blvd,River Rd,Church St,Mill Rd"
)
SCHOOL_WORDS: tuple[str, ...] = _words(
    "Lincoln,Jefferson,Roosevelt,Washington,Hamilton,Franklin,Kennedy,Madison,Jackson,"
    "Garfield,Emerson,Whitman,Hawthorne,Lakeside,Hillcrest,Riverview,Oakwood,Meadowbrook,"
    "Sunnyside,Pinecrest"
)
SCHOOL_LEVELS: tuple[str, ...] = ("Elementary School", "Middle School", "High School")
DISTRICT_WORDS: tuple[str, ...] = _words(
    "Springfield,Riverside,Franklin,Greenville,Fairview,Madison,Georgetown,Clinton,Salem,"
    "Arlington,Ashland,Bristol,Dover,Milton,Oxford"
)
SIS_TYPES: tuple[str, ...] = ("PowerSchool", "Infinite Campus", "Skyward", "Aeries", "Synergy")

GRADES: tuple[str, ...] = (
    "Kindergarten",
    "1",
    "2",
    "3",
    "4",
    "5",
    "6",
    "7",
    "8",
    "9",
    "10",
    "11",
    "12",
)
# Grade-index ranges of the three school levels (index into GRADES).
LEVEL_GRADES: tuple[tuple[int, int], ...] = ((0, 5), (6, 8), (9, 12))

SUBJECTS: tuple[str, ...] = (
    "english/language arts",
    "math",
    "science",
    "social studies",
    "language",
    "homeroom/advisory",
    "interventions/online learning",
    "technology and engineering",
    "PE and health",
    "arts and music",
    "other",
)
SUBJECT_TITLES: dict[str, str] = {
    "english/language arts": "English",
    "math": "Mathematics",
    "science": "Science",
    "social studies": "Social Studies",
    "language": "Spanish",
    "homeroom/advisory": "Homeroom",
    "interventions/online learning": "Reading Intervention",
    "technology and engineering": "Computer Science",
    "PE and health": "Physical Education",
    "arts and music": "Art",
    "other": "Study Skills",
}
# Subjects of the six daily sections: four core subjects, then rotating electives.
SLOT_SUBJECTS: tuple[tuple[int, ...], ...] = ((0,), (1,), (2,), (3,), (8, 9, 4, 7), (5, 6, 9, 10))

GENDERS: tuple[str, ...] = ("M", "F", "F", "M", "X")
RACES: tuple[str, ...] = (
    "Caucasian",
    "Asian",
    "Black or African American",
    "American Indian",
    "Hawaiian or Other Pacific Islander",
    "Two or More Races",
    "Unknown",
    "Caucasian",
)
FRL_STATUSES: tuple[str, ...] = ("Free", "Reduced", "Paid", "Paid", "Other", "")
LANGUAGES: tuple[tuple[str, str], ...] = (
    ("English", "eng"),
    ("Spanish", "spa"),
    ("Mandarin", "cmn"),
    ("Vietnamese", "vie"),
    ("Arabic", "ara"),
    ("Tagalog", "tgl"),
    ("Korean", "kor"),
    ("Russian", "rus"),
    ("French", "fra"),
    ("Haitian Creole", "hat"),
    ("Portuguese", "por"),
    ("Somali", "som"),
    ("Hmong", "hmn"),
    ("Other", "other"),
)
DISABILITIES: tuple[tuple[str, str], ...] = (
    ("sld", "Specific learning disability"),
    ("sli", "Speech or language impairment"),
    ("ohi", "Other health impairment"),
    ("aut", "Autism"),
    ("dd", "Developmental delay"),
    ("emn", "Emotional disturbance"),
    ("id", "Intellectual Disability"),
    ("hi", "Hearing impairment"),
    ("vi", "Visual impairment"),
    ("other", "Other"),
)
TEACHER_TITLES: tuple[str, ...] = ("Teacher", "Lead Teacher", "Co-Teacher", "Instructor")
STAFF_ROLES: tuple[tuple[str, str, str], ...] = (
    # (staff.roles entry, title, department)
    ("Principal", "Principal", "Administration"),
    ("Assistant Principal", "Assistant Principal", "Administration"),
    ("Counselor", "School Counselor", "Student Services"),
    ("Librarian", "Media Specialist", "Library"),
    ("Nurse", "School Nurse", "Health Services"),
    ("Aide", "Instructional Aide", "Special Education"),
    ("Technology", "Technology Coordinator", "Information Technology"),
)
ADMIN_TITLES: tuple[str, ...] = (
    "Superintendent",
    "IT Director",
    "Data Coordinator",
    "Director of Curriculum",
)
PHONE_TYPES: tuple[str, ...] = ("Cell", "Home", "Work", "Cell", "Other")
RELATIONSHIPS: tuple[str, ...] = (
    "Parent",
    "Parent",
    "Parent",
    "Grandparent",
    "Aunt/Uncle",
    "Other",
)
CONTACT_TYPES: tuple[str, ...] = ("Parent/Guardian", "Parent/Guardian", "Emergency", "Primary")
LOGIN_METHODS: tuple[str, ...] = ("clever", "google", "active_directory")
TERM_NAMES: tuple[tuple[str, str, str], ...] = (
    ("2024-2025 Fall Semester", "2024-08-19", "2024-12-20"),
    ("2024-2025 Spring Semester", "2025-01-06", "2025-06-13"),
    ("2024-2025 School Year", "2024-08-19", "2025-06-13"),
)
SCHOOL_YEAR = ("2024-08-19", "2025-06-13")
