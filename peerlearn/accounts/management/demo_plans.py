"""Deciding who the demo people are, before anything is written.

Everything here is a pure function of a ``random.Random`` and the data files, so every database
seeded with the same seed gets the same people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import time
from typing import Literal

from django.utils.text import slugify

from peerlearn.accounts.catalogue import InstitutionSeed, catalogue_tree, subject_slug
from peerlearn.accounts.models import LearningStyle, Level, SessionFormat, User
from peerlearn.accounts.services import LANGUAGE_CODES, WindowInput

from .demo_content import (
    AREA_FIELDS,
    AREA_WEIGHTS,
    AVATAR_COLOURS,
    DAY_PARTS,
    EXCEPTIONS,
    GRADES,
    HOMETOWNS,
    INSTITUTION_WEIGHTS,
    JOBS,
    LANGUAGE_LEARNER_BIOS,
    LANGUAGE_STAFF_BIO,
    LANGUAGE_SUBJECTS,
    LANGUAGE_TUTOR_BIOS,
    LEARNER_BIOS,
    MODERATOR_BIO,
    NAMES,
    ORDINALS,
    PHD_BIOS,
    PROGRAMMES,
    PROPER_WORDS,
    RESEARCH,
    STAFF_BIOS,
    STUDENT_BIOS,
)

Kind = Literal["admin", "moderator", "staff", "phd", "student", "learner"]
ROLE_BY_KIND: dict[Kind, User.Role] = {
    "admin": User.Role.ADMIN,
    "moderator": User.Role.MODERATOR,
    "staff": User.Role.TUTOR,
    "phd": User.Role.TUTOR,
    "student": User.Role.TUTOR,
    "learner": User.Role.LEARNER,
}
# Generated besides the four fixed logins; the second moderator comes first (see demo_plans).
GENERATED: dict[Kind, int] = {"moderator": 1, "staff": 4, "phd": 6, "student": 14, "learner": 29}
GENERATED_KINDS: list[Kind] = [kind for kind, count in GENERATED.items() for _ in range(count)]
MODERATOR_EMAIL = "moderator@peerlearn.test"


@dataclass(frozen=True)
class Discipline:
    """A catalogue subject with its area and its topics as (slug, name) pairs."""

    area: str
    name: str
    topics: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Verification:
    status: Literal["approved", "rejected", "pending"]
    document_name: str
    note: str
    reason: str  # the moderator's; empty while pending
    moderator_email: str
    days_ago: int


@dataclass(frozen=True)
class Teaching:
    slug: str
    proficiency: Level
    evidence: str
    verification: Verification | None = None


@dataclass(frozen=True)
class DatedException:
    days_ahead: int
    kind: str
    start_time: time | None
    end_time: time | None
    note: str


@dataclass(frozen=True)
class Plan:
    """Everything about one demo person."""

    kind: Kind
    email: str
    name: str
    institution: InstitutionSeed
    institution_email: str
    programme: str
    year: int | None
    bio: str
    languages: list[str]
    learning_styles: list[str]
    session_formats: list[str]
    latitude: float
    longitude: float
    joined_days_ago: int
    avatar_colour: str | None
    learning: list[tuple[str, Level]] = field(default_factory=list)
    teaching: list[Teaching] = field(default_factory=list)
    windows: list[WindowInput] = field(default_factory=list)
    exceptions: list[DatedException] = field(default_factory=list)


def disciplines() -> list[Discipline]:
    return [
        Discipline(
            area=area["name"],
            name=subject["name"],
            topics=tuple(
                (subject_slug(area["name"], subject["name"], topic["name"]), topic["name"])
                for topic in subject.get("children", [])
            ),
        )
        for area in catalogue_tree()
        for subject in area.get("children", [])
    ]


def demo_plans(
    rng: random.Random, all_disciplines: list[Discipline], institutions: list[InstitutionSeed]
) -> list[Plan]:
    """The four fixed logins, then generated people. Moderators come before the tutors whose
    requests they decided."""
    by_slug = {seed["slug"]: seed for seed in institutions}
    names = rng.sample(NAMES, len(GENERATED_KINDS))
    edinburgh = by_slug["edinburgh"]
    moderators = [
        MODERATOR_EMAIL,
        login_email(institutional_email(names[0][0], edinburgh, staff=True)),
    ]
    plans = _fixed_plans(rng, {d.name: d for d in all_disciplines}, by_slug, moderators)
    weights = [INSTITUTION_WEIGHTS.get(seed["slug"], 1) for seed in institutions]
    for kind, (name, heritage) in zip(GENERATED_KINDS, names, strict=True):
        institution = edinburgh if kind == "moderator" else rng.choices(institutions, weights)[0]
        discipline = _pick_discipline(rng, all_disciplines, kind, heritage, institution)
        plans.append(_person(rng, kind, name, heritage, institution, discipline, moderators))
    return plans


def _fixed_plans(
    rng: random.Random,
    by_name: dict[str, Discipline],
    by_slug: dict[str, InstitutionSeed],
    moderators: list[str],
) -> list[Plan]:
    """The demo logins: a learner and a tutor at TUM who suit each other, a moderator, an admin."""
    tum, edinburgh = by_slug["tum"], by_slug["edinburgh"]
    algorithms, python = by_name["Algorithms"], by_name["Programming in Python"]
    graphs, dynamic_programming = algorithms.topics[1][0], algorithms.topics[2][0]
    eigenvalues = subject_slug("Mathematics", "Linear algebra", "Eigenvalues and eigenvectors")
    admin = _person(rng, "admin", "Alex Morgan", "en", edinburgh, algorithms, moderators)
    moderator = _person(rng, "moderator", "Daniel Okoro", "en", edinburgh, algorithms, moderators)
    tutor = _person(rng, "phd", "Anika Sharma", "hi", tum, algorithms, moderators)
    learner = _person(rng, "learner", "Lukas Hoffmann", "de", tum, algorithms, moderators)
    ta_evidence = "TA for Algorithms and Data Structures (IN0007), 2023 to 2025"
    ta_letter = Verification(
        status="approved",
        document_name="ta-appointment-letter.pdf",
        note="Appointment letter from the School of Computation, Information and Technology.",
        reason="Appointment letter confirms the TA role for Algorithms and Data Structures.",
        moderator_email=MODERATOR_EMAIL,
        days_ago=40,
    )
    tutor_contract = Verification(
        status="pending",
        document_name="tutor-contract-2024.pdf",
        note="Tutor contract for Introduction to Programming, winter term 2024.",
        reason="",
        moderator_email="",
        days_ago=2,
    )
    return [
        replace(
            admin,
            email="admin@peerlearn.test",
            programme="PeerLearn operations",
            bio="I keep PeerLearn running day to day. Write to me if something looks broken.",
        ),
        replace(
            moderator,
            email=MODERATOR_EMAIL,
            programme="Teaching Fellow in Informatics",
            bio="Teaching fellow in Informatics and a PeerLearn moderator. I review verification "
            "documents, usually within a day; if I reject yours, the reason says exactly what "
            "to upload instead.",
        ),
        replace(
            tutor,
            email="tutor@peerlearn.test",
            programme="PhD Informatics",
            year=3,
            languages=["en", "hi", "de"],
            bio="PhD candidate in Informatics at TUM, working on graph algorithms for public "
            "transport routing. I have been the TA for Algorithms and Data Structures for three "
            "semesters, so I know exactly where Dijkstra and dynamic programming trip people up. "
            "I like drawing things out on the whiteboard and letting you drive the code.",
            teaching=[
                Teaching(graphs, Level.EXPERT, ta_evidence, ta_letter),
                Teaching(dynamic_programming, Level.EXPERT, ta_evidence, ta_letter),
                Teaching(
                    python.topics[0][0],
                    Level.ADVANCED,
                    "Tutor for Introduction to Programming, 2024",
                    tutor_contract,
                ),
                Teaching(eigenvalues, Level.ADVANCED, "Grade 1.3 in Linear Algebra (2019)"),
            ],
            learning=[
                (subject_slug("Languages", "German", "Conversation practice"), Level.INTERMEDIATE)
            ],
        ),
        replace(
            learner,
            email="learner@peerlearn.test",
            programme="BSc Informatics",
            year=2,
            languages=["de", "en"],
            bio="Second-year Informatics student at TUM. Algorithms is the module that decides "
            "whether I pass this semester: I follow the lectures but freeze on graph problems in "
            "the exercises. Looking for someone patient to work through problem sheets with, "
            "ideally in the evenings.",
            learning=[
                (graphs, Level.BEGINNER),
                (dynamic_programming, Level.BEGINNER),
                (eigenvalues, Level.INTERMEDIATE),
                (python.topics[3][0], Level.INTERMEDIATE),
            ],
        ),
    ]


def _pick_discipline(
    rng: random.Random,
    all_disciplines: list[Discipline],
    kind: Kind,
    heritage: str,
    institution: InstitutionSeed,
) -> Discipline:
    """Mostly by area weight; language tutors teach their own language (or linguistics) and
    language learners usually learn the one spoken around campus."""
    area = rng.choices(list(AREA_WEIGHTS), list(AREA_WEIGHTS.values()))[0]
    if area != "Languages":
        return rng.choice([d for d in all_disciplines if d.area == area])
    by_name = {d.name: d for d in all_disciplines}
    if kind != "learner":
        return by_name[LANGUAGE_SUBJECTS.get(heritage, "Linguistics")]
    local = institution["language"]
    if local != heritage and local in LANGUAGE_SUBJECTS:
        return by_name[LANGUAGE_SUBJECTS[local]]
    others = [name for code, name in LANGUAGE_SUBJECTS.items() if code != heritage]
    return by_name[rng.choice(others)]


def _person(
    rng: random.Random,
    kind: Kind,
    name: str,
    heritage: str,
    institution: InstitutionSeed,
    discipline: Discipline,
    moderators: list[str],
) -> Plan:
    staff = kind in {"admin", "moderator", "staff"}
    language = next((code for code, s in LANGUAGE_SUBJECTS.items() if s == discipline.name), None)
    programme, year = _programme(rng, kind, discipline, language)
    # The first two topics are the ones the bio mentions; they are always learned or taught.
    topics = rng.sample(discipline.topics, min(4, len(discipline.topics)))
    values = {
        "programme": programme,
        "institution": institution_phrase(institution),
        "city": institution["city"],
        "subject": LANGUAGE_CODES[language] if language else phrase(discipline.name),
        "topic": phrase(topics[0][1]),
        "Topic": topics[0][1],
        "topic2": phrase(topics[1][1]),
        "year": ORDINALS[year or 1],
        "Year": ORDINALS[year or 1].capitalize(),
        "n": year,
        "research": rng.choice(RESEARCH[discipline.area]),
        "field": _department(discipline),
        "job": rng.choice(JOBS),
        "language": LANGUAGE_CODES[heritage],
        "hometown": rng.choice(HOMETOWNS.get(heritage, ("abroad",))),
    }
    languages = [heritage, "en"]
    if rng.random() < 0.6:
        languages.append(institution["language"])
    institution_email = institutional_email(name, institution, staff=staff)
    return Plan(
        kind=kind,
        email=login_email(institution_email),
        name=name,
        institution=institution,
        institution_email=institution_email,
        programme=programme,
        year=year,
        bio=_bio_template(rng, kind, language).format(**values),
        languages=list(dict.fromkeys(languages)),
        learning_styles=rng.sample(LearningStyle.values, rng.choice([1, 1, 2])),
        session_formats=rng.sample(SessionFormat.values, rng.randint(1, 3)),
        latitude=round(institution["latitude"] + rng.gauss(0, 0.02), 4),
        longitude=round(institution["longitude"] + rng.gauss(0, 0.03), 4),
        joined_days_ago=rng.randint(5, 400),
        avatar_colour=rng.choice(AVATAR_COLOURS) if rng.random() < 0.7 else None,
        learning=_learning(rng, kind, heritage, topics),
        teaching=_teaching(rng, kind, discipline, topics, institution, moderators),
        windows=[] if kind in {"admin", "moderator"} else weekly_windows(rng, daytime=staff),
        exceptions=[] if kind in {"admin", "moderator"} else _exceptions(rng),
    )


def _department(discipline: Discipline) -> str:
    name = AREA_FIELDS.get(discipline.area, discipline.name)
    small = {"and", "of", "in", "for", "with"}
    return " ".join(w if w in small else w[0].upper() + w[1:] for w in name.split())


def _programme(
    rng: random.Random, kind: Kind, discipline: Discipline, language: str | None
) -> tuple[str, int | None]:
    department = _department(discipline)
    if kind in {"admin", "moderator"}:
        return f"Teaching Fellow in {department}", None
    if kind == "staff" and language:
        return f"{LANGUAGE_CODES[language]} instructor, Language Centre", None
    if kind == "staff":
        title = rng.choice(("Lecturer in", "Senior Lecturer in", "Associate Professor of"))
        return f"{title} {department}", None
    if kind == "phd":
        return f"PhD {department}", rng.randint(1, 4)
    programme = rng.choice(PROGRAMMES.get(discipline.name) or PROGRAMMES[discipline.area])
    if programme.startswith("M"):  # a master's lasts one or two years
        return programme, rng.randint(1, 2)
    return programme, rng.randint(2 if kind == "student" else 1, 4)


def _bio_template(rng: random.Random, kind: Kind, language: str | None) -> str:
    if kind in {"admin", "moderator"}:
        return MODERATOR_BIO
    if kind == "learner":
        return rng.choice(LANGUAGE_LEARNER_BIOS if language else LEARNER_BIOS)
    if language:
        return LANGUAGE_STAFF_BIO if kind == "staff" else rng.choice(LANGUAGE_TUTOR_BIOS)
    return rng.choice({"staff": STAFF_BIOS, "phd": PHD_BIOS, "student": STUDENT_BIOS}[kind])


def _learning(
    rng: random.Random, kind: Kind, heritage: str, topics: list[tuple[str, str]]
) -> list[tuple[str, Level]]:
    if kind in {"admin", "moderator"}:
        return []
    if kind != "learner":  # tutors learn too: conversation in a language not their own
        others = [name for code, name in LANGUAGE_SUBJECTS.items() if code not in {heritage, "en"}]
        slug = subject_slug("Languages", rng.choice(others), "Conversation practice")
        return [(slug, rng.choice([Level.BEGINNER, Level.INTERMEDIATE]))]
    levels = [Level.BEGINNER] * 5 + [Level.INTERMEDIATE] * 4 + [Level.ADVANCED]
    learning = [(slug, rng.choice(levels)) for slug, _ in topics[: rng.randint(2, 3)]]
    if rng.random() < 0.3:
        learning.append(
            (subject_slug("Mathematics", "Statistics", "Hypothesis testing"), Level.BEGINNER)
        )
    return list(dict(learning).items())


def _teaching(
    rng: random.Random,
    kind: Kind,
    discipline: Discipline,
    topics: list[tuple[str, str]],
    institution: InstitutionSeed,
    moderators: list[str],
) -> list[Teaching]:
    """Two to four topics with evidence that fits who the tutor is; most tutors have one or two
    verified, some a pending or rejected request."""
    if kind not in {"staff", "phd", "student"}:
        return []
    native = discipline.area == "Languages" and discipline.name != "Linguistics"
    year = rng.choice((2023, 2024, 2025))
    subject = discipline.name
    if native:
        evidence = "Native speaker; " + rng.choice(
            ("hosts the university language café", "language exchange mentor since 2023")
        )
        document, reason = (
            "language-certificate.pdf",
            "Certificate and a short interview check out.",
        )
    elif kind == "staff":
        evidence = f"Course organiser for {subject} at {institution['name']}"
        document, reason = "staff-id.pdf", "Listed as teaching staff on the department website."
    elif kind == "phd":
        evidence = f"Teaching assistant for {subject}, {year} to {year + 1}"
        document, reason = "ta-appointment-letter.pdf", "Appointment letter confirms the TA role."
    else:
        grade = rng.choice(GRADES[institution["country"]])
        evidence = f"{grade} in {subject} ({year})"
        document, reason = f"transcript-{year}.pdf", f"Transcript checked: {grade} in {subject}."
    verified = rng.choice([0, 1, 1, 2]) if rng.random() < 0.7 else 0
    items = []
    for index, (slug, _) in enumerate(topics[: rng.randint(2, len(topics))]):
        verification = None
        if index < verified:
            verification = Verification(
                status="approved",
                document_name=document,
                note=f"Evidence for {subject}.",
                reason=reason,
                moderator_email=rng.choice(moderators),
                days_ago=rng.randint(10, 120),
            )
        elif index == verified and rng.random() < 0.3:
            verification = Verification(
                status="pending",
                document_name=document,
                note=f"Evidence for {subject}.",
                reason="",
                moderator_email="",
                days_ago=rng.randint(1, 3),
            )
        elif index == verified and rng.random() < 0.1:
            verification = Verification(
                status="rejected",
                document_name="screenshot.pdf",
                note=f"Screenshot of my grades for {subject}.",
                reason="This is a screenshot of a course page, not an official record. Please "
                "upload your transcript or a letter with your name on it.",
                moderator_email=rng.choice(moderators),
                days_ago=rng.randint(10, 60),
            )
        proficiency = (
            Level.EXPERT
            if native or kind == "staff"
            else rng.choice([Level.ADVANCED] * 3 + [Level.EXPERT, Level.INTERMEDIATE])
        )
        items.append(Teaching(slug, proficiency, evidence, verification))
    return items


def weekly_windows(rng: random.Random, *, daytime: bool) -> list[WindowInput]:
    """Three to six days a week with one or two non-overlapping windows each: office hours for
    staff, mostly afternoons and evenings for students, daytime at weekends."""
    windows = []
    for weekday in sorted(rng.sample(range(7), rng.randint(3, 6))):
        parts = ["morning", "afternoon"] if daytime or weekday >= 5 else list(DAY_PARTS)
        if rng.random() < 0.4:
            chosen = rng.sample(parts, 2)
        else:
            chosen = rng.choices(parts, [1, 2, 3][: len(parts)])
        for part in chosen:
            start_hour, start_minute, end_hour, end_minute = rng.choice(DAY_PARTS[part])
            start, end = time(start_hour, start_minute), time(end_hour, end_minute)
            windows.append(WindowInput(weekday, start, end))
    return windows


def _exceptions(rng: random.Random) -> list[DatedException]:
    if rng.random() > 0.4:
        return []
    picked = rng.sample(EXCEPTIONS, rng.randint(1, 2))
    days = rng.sample(range(3, 45), len(picked))
    return [DatedException(day, *exception) for day, exception in zip(days, picked, strict=True)]


def institutional_email(name: str, institution: InstitutionSeed, *, staff: bool) -> str:
    """``first.last`` on the staff domain (listed first) or the student domain (listed last)."""
    local = ".".join(slugify(part) for part in name.split())
    return f"{local}@{institution['domains'][0 if staff else -1]}"


def login_email(institution_email: str) -> str:
    """Demo people log in on a reserved domain so no mail can ever reach a real mailbox; their
    institutional address (never stored) only decides which institution they join."""
    return institution_email.split("@")[0] + "@demo.peerlearn.test"


def institution_phrase(institution: InstitutionSeed) -> str:
    """The name as it reads after "at": "the University of Edinburgh", "KU Leuven"."""
    name = institution["name"]
    needs_article = name.startswith(("University", "Technical", "National", "Indian"))
    return f"the {name}" if needs_article else name


def phrase(name: str) -> str:
    """A catalogue name as it reads mid-sentence: "Graph theory" becomes "graph theory", but
    proper nouns and acronyms ("Markov chains", "SQL queries") keep their capitals."""
    first = name.split()[0]
    if first in PROPER_WORDS or any(char.isupper() for char in first[1:]):
        return name
    return name[0].lower() + name[1:]
