"""Demo data: about sixty people with full profiles, and optionally many synthetic tutors.

Idempotent: demo people are keyed by email and skipped when they exist; synthetic tutors are
numbered and a run continues after the highest number present. Choices come from seeded
``random.Random`` instances, so every database gets the same people (dated exceptions and
verification times are relative to the day of the run).

Decisions on verification requests are written directly rather than through
``services.verification_decide``, which emails the tutor: seeding must never send mail.
"""

from __future__ import annotations

import io
import random
import unicodedata
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cache
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, reset_queries, transaction
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont

from peerlearn.accounts import services
from peerlearn.accounts.catalogue import InstitutionSeed, institution_seeds, load_catalogue
from peerlearn.accounts.management.demo_content import AREA_WEIGHTS, NAMES, PROGRAMMES
from peerlearn.accounts.management.demo_plans import (
    ROLE_BY_KIND,
    Discipline,
    Plan,
    Teaching,
    Verification,
    demo_plans,
    disciplines,
    institution_phrase,
    phrase,
    weekly_windows,
)
from peerlearn.accounts.models import (
    AvailabilityWindow,
    Institution,
    LearningStyle,
    Level,
    Profile,
    SessionFormat,
    Subject,
    TeachingSubject,
    User,
    VerificationDecision,
    VerificationRequest,
)
from peerlearn.accounts.roles import staff_role_set

DEMO_PASSWORD = "peerlearn-demo"
SEED = 2026
SYNTHETIC_DOMAIN = "synthetic.peerlearn.test"
SYNTHETIC_MAX = 999_999  # six-digit numbers keep the emails sorted in creation order
BATCH_SIZE = 5000
CONVERTED_TYPES = {"JSONField", "TimeField", "DateTimeField", "DateField"}
DEMO_LOGINS = (
    ("learner@peerlearn.test", "learner, Informatics at TUM"),
    ("tutor@peerlearn.test", "tutor with verified subjects, TUM"),
    ("moderator@peerlearn.test", "moderator, with verification requests waiting"),
    ("admin@peerlearn.test", "admin (superuser)"),
)


class Command(BaseCommand):
    help = "Create demo people (idempotent); --tutors N also bulk-creates N synthetic tutors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--tutors", type=int, default=0, help="make sure this many synthetic tutors exist"
        )
        parser.add_argument("--quiet", action="store_true", help="print nothing")

    def handle(self, *args: Any, tutors: int, quiet: bool, **options: Any) -> None:
        if not 0 <= tutors <= SYNTHETIC_MAX:
            raise CommandError(f"--tutors must be between 0 and {SYNTHETIC_MAX}.")
        self.quiet = quiet
        started = perf_counter()
        load_catalogue()
        all_disciplines = disciplines()
        institutions = institution_seeds()
        password = make_password(DEMO_PASSWORD)  # hashed once: hashing is slow on purpose
        plans = demo_plans(random.Random(SEED), all_disciplines, institutions)
        created = seed_people(plans, password)
        self._say(f"{created} demo people created, {len(plans) - created} already there.")
        if tutors:
            seed_synthetic_tutors(tutors, all_disciplines, institutions, password, self._say)
            # The bulk path bypasses the services: write every tutor's search document at the end
            # (matching's command: matching sits above accounts).
            out = io.StringIO()
            call_command("rebuild_tutor_documents", stdout=out)
            self._say(out.getvalue().rstrip())
        self._say(f"Done in {perf_counter() - started:.1f} s.")
        self._say(f'\nDemo logins (password "{DEMO_PASSWORD}"):')
        for email, what in DEMO_LOGINS:
            self._say(f"  {email:<26} {what}")

    def _say(self, message: str) -> None:
        if not self.quiet:
            self.stdout.write(message)


# --- demo people ------------------------------------------------------------------------------


def seed_people(plans: Sequence[Plan], password: str) -> int:
    """Create the people in ``plans`` whose email is not taken yet; returns how many."""
    emails = [plan.email for plan in plans]
    existing = set(User.objects.filter(email__in=emails).values_list("email", flat=True))
    subject_ids = dict(Subject.objects.values_list("slug", "pk"))
    missing = [plan for plan in plans if plan.email not in existing]
    with transaction.atomic():
        for plan in missing:
            _create_person(plan, password, subject_ids)
    return len(missing)


def _create_person(plan: Plan, password: str, subject_ids: dict[str, int]) -> None:
    """Through the services, so the demo data obeys the same rules as real data."""
    user = User.objects.create(
        email=plan.email,
        password=password,
        is_superuser=plan.kind == "admin",
        date_joined=timezone.now() - timedelta(days=plan.joined_days_ago),
    )
    staff_role_set(actor=None, user=user, role=ROLE_BY_KIND[plan.kind])
    EmailAddress.objects.create(user=user, email=plan.email, verified=True, primary=True)
    services.profile_update(
        actor=user,
        user=user,
        data=services.ProfileInput(
            display_name=plan.name,
            bio=plan.bio,
            programme=plan.programme,
            year_of_study=plan.year,
            timezone=plan.institution["timezone"],
            languages=plan.languages,
            city=plan.institution["city"],
            latitude=plan.latitude,
            longitude=plan.longitude,
            learning_styles=plan.learning_styles,
            session_formats=plan.session_formats,
        ),
    )
    services.institution_link_from_email(user=user, email=plan.institution_email)
    for slug, level in plan.learning:
        services.learning_subject_set(actor=user, subject_id=subject_ids[slug], level=level)
    for item in plan.teaching:
        services.teaching_subject_set(
            actor=user,
            subject_id=subject_ids[item.slug],
            proficiency=item.proficiency,
            evidence=item.evidence,
        )
    services.availability_replace(actor=user, user=user, windows=plan.windows)
    today = datetime.now(ZoneInfo(plan.institution["timezone"])).date()
    for exception in plan.exceptions:
        services.availability_exception_add(
            actor=user,
            on=today + timedelta(days=exception.days_ahead),
            kind=exception.kind,
            start_time=exception.start_time,
            end_time=exception.end_time,
            note=exception.note,
        )
    for item in plan.teaching:
        if item.verification is not None:
            _create_verification(user, plan, subject_ids[item.slug], item, item.verification)
    if plan.avatar_colour is not None:
        services.avatar_set(actor=user, user=user, upload=_avatar(plan.name, plan.avatar_colour))


def _create_verification(
    user: User, plan: Plan, subject_id: int, item: Teaching, verification: Verification
) -> None:
    document = _pdf(
        [
            "PeerLearn demo document - not a real record",
            plan.institution["name"],
            plan.name,
            f"Evidence: {item.evidence}",
        ]
    )
    request = services.verification_submit(
        actor=user,
        subject_id=subject_id,
        upload=SimpleUploadedFile(verification.document_name, document, "application/pdf"),
        note=verification.note,
    )
    submitted = timezone.now() - timedelta(days=verification.days_ago, hours=3)
    VerificationRequest.objects.filter(pk=request.pk).update(
        submitted_at=submitted, status=verification.status
    )
    if verification.status == VerificationRequest.Status.PENDING:
        return
    decided = submitted + timedelta(days=1, hours=5)
    decision = VerificationDecision.objects.create(
        request=request,
        moderator=User.objects.get(email=verification.moderator_email),
        decision=verification.status,
        reason=verification.reason,
    )
    VerificationDecision.objects.filter(pk=decision.pk).update(decided_at=decided)
    if verification.status == VerificationRequest.Status.APPROVED:
        TeachingSubject.objects.filter(user=user, subject_id=subject_id).update(verified_at=decided)


@cache
def _avatar_font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=100)


def _avatar(name: str, colour: str) -> SimpleUploadedFile:
    """The person's initials on a square of colour, as a PNG upload."""
    image = Image.new("RGB", (256, 256), colour)
    initials = "".join(part[0] for part in name.split()[:2]).upper()
    ImageDraw.Draw(image).text((128, 128), initials, fill="white", font=_avatar_font(), anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return SimpleUploadedFile("avatar.png", buffer.getvalue(), "image/png")


def _pdf(lines: Sequence[str]) -> bytes:
    """A valid one-page PDF showing ``lines`` in Helvetica (accents dropped)."""

    def escape(text: str) -> str:
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
        return plain.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    shown = " ".join(f"({escape(line)}) Tj 0 -22 Td" for line in lines)
    stream = f"BT /F1 13 Tf 72 770 Td {shown} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\n" % (len(objects) + 1)
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


# --- synthetic tutors at scale ------------------------------------------------------------------


def synthetic_email(number: int) -> str:
    return f"tutor-{number:06d}@{SYNTHETIC_DOMAIN}"


def _synthetic_count() -> int:
    """The highest synthetic tutor number present: they are created in order, batch by batch."""
    last = (
        User.objects.filter(email__endswith="@" + SYNTHETIC_DOMAIN)
        .order_by("-email")
        .values_list("email", flat=True)
        .first()
    )
    return int(last.split("@")[0].removeprefix("tutor-")) if last else 0


def seed_synthetic_tutors(
    total: int,
    all_disciplines: list[Discipline],
    institutions: list[InstitutionSeed],
    password: str,
    say: Callable[[str], None],
) -> None:
    """Make sure tutors 1..``total`` exist, each with a profile, a verified email, two to four
    teaching subjects (a quarter verified, without documents) and weekly windows. Each batch is
    one transaction, so an interrupted run resumes cleanly."""
    present = _synthetic_count()
    if present >= total:
        say(f"{present} synthetic tutors already there.")
        return
    subject_ids = dict(Subject.objects.values_list("slug", "pk"))
    institution_ids = dict(Institution.objects.values_list("slug", "pk"))
    for start in range(present, total, BATCH_SIZE):
        stop = min(start + BATCH_SIZE, total)
        with transaction.atomic():
            _synthetic_batch(
                range(start + 1, stop + 1),
                all_disciplines,
                institutions,
                password,
                subject_ids,
                institution_ids,
            )
        reset_queries()  # with DEBUG on, Django keeps every (huge) statement otherwise
        say(f"created {stop}/{total} tutors")


def _synthetic_batch(
    numbers: range,
    all_disciplines: list[Discipline],
    institutions: list[InstitutionSeed],
    password: str,
    subject_ids: dict[str, int],
    institution_ids: dict[str, int],
) -> None:
    users = User.objects.bulk_create(
        User(email=synthetic_email(number), password=password, role=User.Role.TUTOR)
        for number in numbers
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True) for user in users
    )
    areas, area_weights = list(AREA_WEIGHTS), list(AREA_WEIGHTS.values())
    by_area = {area: [d for d in all_disciplines if d.area == area] for area in areas}
    proficiencies = (Level.INTERMEDIATE, Level.ADVANCED, Level.ADVANCED, Level.EXPERT)
    now = timezone.now()
    profiles: list[dict[str, Any]] = []
    teaching: list[dict[str, Any]] = []
    windows: list[dict[str, Any]] = []
    for number, user in zip(numbers, users, strict=True):
        rng = random.Random(SEED * 1_000_003 + number)  # the same tutor however it is batched
        institution = rng.choice(institutions)
        discipline = rng.choice(by_area[rng.choices(areas, area_weights)[0]])
        topics = rng.sample(discipline.topics, rng.randint(2, min(4, len(discipline.topics))))
        programme = rng.choice(PROGRAMMES.get(discipline.name) or PROGRAMMES[discipline.area])
        first, last = rng.choice(NAMES)[0].split()[0], rng.choice(NAMES)[0].split()[-1]
        profiles.append(
            {
                "user": user.pk,
                "display_name": f"{first} {last}",
                "bio": f"{programme} student at {institution_phrase(institution)}. I tutor "
                f"{phrase(topics[0][1])} and {phrase(topics[1][1])}.",
                "institution": institution_ids[institution["slug"]],
                "programme": programme,
                "year_of_study": rng.randint(2, 5),
                "timezone": institution["timezone"],
                "languages": list(dict.fromkeys(["en", institution["language"]])),
                "city": institution["city"],
                "latitude": round(institution["latitude"] + rng.gauss(0, 0.03), 4),
                "longitude": round(institution["longitude"] + rng.gauss(0, 0.04), 4),
                "learning_styles": rng.sample(LearningStyle.values, rng.randint(1, 2)),
                "session_formats": rng.sample(SessionFormat.values, rng.randint(1, 3)),
                "updated_at": now,
            }
        )
        teaching += [
            {
                "user": user.pk,
                "subject": subject_ids[slug],
                "proficiency": rng.choice(proficiencies),
                "evidence": f"Top grade in {discipline.name}",
                "verified_at": now - timedelta(days=rng.randint(1, 300))
                if rng.random() < 0.25
                else None,
                "created_at": now,
            }
            for slug, _ in topics
        ]
        windows += [
            {
                "user": user.pk,
                "weekday": w.weekday,
                "start_time": w.start_time,
                "end_time": w.end_time,
            }
            for w in weekly_windows(rng, daytime=False)
        ]
    _insert_rows(Profile, profiles)
    _insert_rows(TeachingSubject, teaching)
    _insert_rows(AvailabilityWindow, windows)


def _insert_rows(model: type[models.Model], rows: list[dict[str, Any]]) -> None:
    """Insert rows of {field name: value}, a thousand per statement; fields a row leaves out get
    their default. ``bulk_create`` compiles a placeholder per value, which dominates the run time
    at a million rows; here only values that need it (JSON, dates, times) are converted."""
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    defaults = {field.name: field.get_default() for field in fields if field.name not in rows[0]}
    columns_to_convert = [(f, f.get_internal_type() in CONVERTED_TYPES) for f in fields]
    params = []
    for row in rows:
        values = defaults | row
        params.append(
            tuple(
                field.get_db_prep_save(values[field.name], connection)
                if convert
                else values[field.name]
                for field, convert in columns_to_convert
            )
        )
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)  # type: ignore[arg-type]
    table = quote(model._meta.db_table)
    insert = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (names from the model)
    row_placeholders = "(" + ", ".join(["%s"] * len(fields)) + ")"
    per_statement = min(1000, (connection.features.max_query_params or 65535) // len(fields))
    with connection.cursor() as cursor:
        for start in range(0, len(params), per_statement):
            chunk = params[start : start + per_statement]
            sql = insert + ", ".join([row_placeholders] * len(chunk))
            cursor.execute(sql, [value for row in chunk for value in row])
