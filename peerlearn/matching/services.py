"""Writes for matching: the tutors' full-text documents (training lives in ``ranker``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from peerlearn.accounts.hooks import TutorProfileChanged
from peerlearn.accounts.models import AvailabilityWindow, Profile, TeachingSubject, User

from .models import TutorDocument
from .week import week_mask

SEARCH_CONFIG = "english"  # the text search configuration; tutor_search queries with the same
DOCUMENT_BATCH = 1000  # tutors per upsert when rebuilding documents


@dataclass(frozen=True)
class DocumentParts:
    """A tutor's searchable text by weight: name (A), taught subjects (B), bio (C), the taught
    subjects' parents and grandparents (D)."""

    name: str
    subjects: str
    bio: str
    parents: str
    week_mask: int = 0

    @property
    def text(self) -> str:
        return "\n".join((self.name, self.bio, self.subjects, self.parents))


def document_parts(user_ids: Collection[int]) -> dict[int, DocumentParts]:
    """The parts of every given user who teaches at least one subject (three queries)."""
    subjects: dict[int, list[str]] = {}
    parents: dict[int, list[str]] = {}
    rows = TeachingSubject.objects.filter(user_id__in=user_ids).values_list(
        "user_id", "subject__name", "subject__parent__name", "subject__parent__parent__name"
    )
    for user_id, name, parent, grandparent in rows.order_by("user_id", "subject__name"):
        subjects.setdefault(user_id, []).append(name)
        bucket = parents.setdefault(user_id, [])
        for above in (parent, grandparent):
            if above and above not in bucket:
                bucket.append(above)
    profiles = dict(
        (user_id, (name, bio))
        for user_id, name, bio in Profile.objects.filter(user_id__in=list(subjects)).values_list(
            "user_id", "display_name", "bio"
        )
    )
    windows: dict[int, list[tuple[int, Any, Any]]] = {}
    for user_id, weekday, start, end in AvailabilityWindow.objects.filter(
        user_id__in=list(subjects)
    ).values_list("user_id", "weekday", "start_time", "end_time"):
        windows.setdefault(user_id, []).append((weekday, start, end))
    out = {}
    for user_id, names in subjects.items():
        name, bio = profiles.get(user_id, ("", ""))
        out[user_id] = DocumentParts(
            name,
            " ".join(names),
            bio,
            " ".join(parents[user_id]),
            week_mask(windows.get(user_id, [])),
        )
    return out


def _upsert(parts: dict[int, DocumentParts]) -> None:
    """Insert or replace the documents in one statement per thousand rows; on PostgreSQL the
    weighted ``tsvector`` is computed by the database from the parts."""
    if not parts:
        return
    now = timezone.now()
    postgres = connection.vendor == "postgresql"
    if postgres:
        config = SEARCH_CONFIG
        vector = " || ".join(
            f"setweight(to_tsvector('{config}'::regconfig, %s), '{w}')" for w in "ABCD"
        )
        row = f"(%s, %s, {vector}, %s, %s)"
    else:
        row = "(%s, %s, NULL, %s, %s)"
    quote = connection.ops.quote_name
    table = quote(TutorDocument._meta.db_table)
    names = ("user_id", "text", "search_vector", "week_mask", "updated_at")
    columns = ", ".join(quote(c) for c in names)
    insert = f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (names from the model)
    conflict = f" ON CONFLICT ({quote('user_id')}) DO UPDATE SET " + ", ".join(
        f"{quote(c)} = excluded.{quote(c)}" for c in names[1:]
    )
    stamp = TutorDocument._meta.get_field("updated_at").get_db_prep_save(now, connection)
    items = sorted(parts.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), 1000):
            chunk = items[start : start + 1000]
            params: list[Any] = []
            for user_id, p in chunk:
                params += [user_id, p.text]
                if postgres:
                    params += [p.name, p.subjects, p.bio, p.parents]
                params += [p.week_mask, stamp]
            cursor.execute(insert + ", ".join([row] * len(chunk)) + conflict, params)


def _refresh(user_ids: Collection[int]) -> None:
    parts = document_parts(user_ids)
    with transaction.atomic():
        _upsert(parts)
        gone = [pk for pk in user_ids if pk not in parts]
        if gone:
            TutorDocument.objects.filter(user_id__in=gone).delete()


def tutor_profile_changed(event: TutorProfileChanged) -> None:
    """Accounts' hook (subscribed in ``MatchingConfig.ready``), inside the transaction that
    changed the profile, subjects or windows: the search document follows."""
    tutor_document_refresh(user=event.user)


def tutor_document_refresh(*, user: User) -> None:
    """Rewrite one person's search document from their profile, teaching subjects and weekly
    availability (or delete it when they teach nothing). Accounts' ``TutorProfileChanged`` hook
    calls this in the transaction that changes a profile, a teaching subject or the weekly
    pattern; writes around them (admin, scripts) need ``manage.py rebuild_tutor_documents``."""
    _refresh([user.pk])


def tutor_documents_rebuild(*, batch: int = DOCUMENT_BATCH) -> int:
    """Rewrite every tutor's document (and delete those of people who teach nothing), a batch of
    tutors per transaction; returns how many documents were written. Used after bulk loads that
    bypass the services (``seed_demo --tutors``), catalogue renames, and by
    ``manage.py rebuild_tutor_documents``."""
    ids: Iterable[int] = (
        TeachingSubject.objects.order_by("user_id").values_list("user_id", flat=True).distinct()
    )
    all_ids = list(ids)
    written = 0
    for start in range(0, len(all_ids), batch):
        chunk = all_ids[start : start + batch]
        parts = document_parts(chunk)
        with transaction.atomic():
            _upsert(parts)
        written += len(parts)
    teaches = TeachingSubject.objects.filter(user_id=OuterRef("user_id"))
    TutorDocument.objects.exclude(Exists(teaches)).delete()
    return written


def recommendations_show(
    *,
    learner: User,
    subject_id: int | None,
    n: int = 10,
    surface: str = "recommended",
    rng: Any = None,
) -> list[Any]:
    """What "Recommended for you" (page and API) shows: ``recommend.top_tutors`` for the
    learner, logged to the impression log (``impressions.log_recommendations``) as shown."""
    from .impressions import log_recommendations
    from .recommend import top_tutors

    recs = top_tutors(learner=learner, subject_id=subject_id, n=n, rng=rng)
    log_recommendations(viewer=learner, surface=surface, subject_id=subject_id, recs=recs)
    return recs
