"""API input and output shapes for accounts: profiles, subjects, availability, verification.

Choice fields use the models' own choices as types, so the allowed values live in one place.
Public shapes never carry an email address, exact coordinates or the city.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from django.db.models.fields.files import FieldFile
from django.urls import reverse
from ninja import Field, Schema

from .models import (
    AvailabilityException,
    LearningStyle,
    Level,
    Profile,
    SessionFormat,
    Subject,
    TeachingSubject,
    User,
    VerificationRequest,
)


def _absolute_file_url(file: FieldFile | None, context: dict[str, Any] | None) -> str | None:
    if not file:
        return None
    request = (context or {}).get("request")
    return request.build_absolute_uri(file.url) if request is not None else file.url


# --- catalogue --------------------------------------------------------------------------------


class SubjectRef(Schema):
    id: int
    name: str
    slug: str
    kind: Subject.Kind
    parent_id: int | None


class SubjectNode(Schema):
    """A catalogue node; ``children`` is filled in the tree and empty in search results."""

    id: int
    name: str
    slug: str
    kind: Subject.Kind
    parent_id: int | None
    description: str
    children: list[SubjectNode] = []


class InstitutionRef(Schema):
    id: int
    name: str
    slug: str


class InstitutionOut(Schema):
    id: int
    name: str
    slug: str
    country: str
    city: str
    website: str
    domains: list[str]
    member_count: int

    @staticmethod
    def resolve_domains(obj: Any) -> list[str]:
        return [d.domain for d in obj.domains.all()]


# --- profile ----------------------------------------------------------------------------------


class ProfilePatchIn(Schema):
    """Only the fields sent are changed (PATCH)."""

    display_name: str = Field("", max_length=80)
    bio: str = Field("", max_length=2000)
    programme: str = Field("", max_length=120)
    year_of_study: int | None = Field(None, description="1 to 10")
    timezone: str = Field("UTC", max_length=64, description="IANA name, e.g. Europe/Berlin")
    languages: list[str] = Field([], max_length=25, description="ISO 639-1 codes, e.g. en, de")
    city: str = Field("", max_length=120, description="Never shown to others")
    latitude: float | None = Field(None, description="Never shown to others; give with longitude")
    longitude: float | None = Field(None, description="Never shown to others; give with latitude")
    learning_styles: list[LearningStyle] = []
    session_formats: list[SessionFormat] = []


class ProfileIn(ProfilePatchIn):
    """The whole editable profile (PUT); omitted optional fields are cleared."""

    display_name: str = Field(max_length=80)


class OwnProfileOut(Schema):
    """The caller's own profile, location included."""

    display_name: str
    avatar_url: str | None
    avatar_thumbnail_url: str | None
    bio: str
    institution: InstitutionRef | None
    programme: str
    year_of_study: int | None
    timezone: str
    languages: list[str]
    city: str
    latitude: float | None
    longitude: float | None
    learning_styles: list[str]
    session_formats: list[str]
    updated_at: datetime

    @staticmethod
    def resolve_avatar_url(obj: Profile, context: dict[str, Any]) -> str | None:
        return _absolute_file_url(obj.avatar, context)

    @staticmethod
    def resolve_avatar_thumbnail_url(obj: Profile, context: dict[str, Any]) -> str | None:
        return _absolute_file_url(obj.avatar_thumbnail, context)


class LearningSubjectIn(Schema):
    subject_id: int
    level: Level = Level.BEGINNER


class LearningSubjectOut(Schema):
    subject: SubjectRef
    level: Level


class TeachingSubjectIn(Schema):
    subject_id: int
    proficiency: Level = Level.ADVANCED
    evidence: str = Field("", max_length=200, description="e.g. 'A in CS201 (2025)'")


class TeachingSubjectOut(Schema):
    subject: SubjectRef
    proficiency: Level
    evidence: str
    verified: bool
    verified_at: datetime | None

    @staticmethod
    def resolve_verified(obj: TeachingSubject) -> bool:
        return obj.is_verified


class MeOut(Schema):
    id: int
    email: str
    role: User.Role
    is_moderator: bool
    date_joined: datetime
    profile: OwnProfileOut
    learning_subjects: list[LearningSubjectOut]
    teaching_subjects: list[TeachingSubjectOut]


class PublicTeachingSubjectOut(Schema):
    subject: SubjectRef
    proficiency: Level
    evidence: str
    verified: bool

    @staticmethod
    def resolve_verified(obj: TeachingSubject) -> bool:
        return obj.is_verified


class PublicProfileOut(Schema):
    """What anyone may see about a person (read from their Profile). Location only ever appears
    as ``distance_km``, rounded, and only when both the viewer and the person have one."""

    id: int
    display_name: str
    role: User.Role
    avatar_url: str | None
    avatar_thumbnail_url: str | None
    bio: str
    institution: InstitutionRef | None
    programme: str
    year_of_study: int | None
    timezone: str
    languages: list[str]
    learning_styles: list[str]
    session_formats: list[str]
    teaching_subjects: list[PublicTeachingSubjectOut]
    learning_subjects: list[LearningSubjectOut]
    distance_km: int | None = None

    @staticmethod
    def resolve_id(obj: Profile) -> int:
        return obj.user_id

    @staticmethod
    def resolve_display_name(obj: Profile) -> str:
        return obj.user.display_name

    @staticmethod
    def resolve_role(obj: Profile) -> str:
        return obj.user.role

    @staticmethod
    def resolve_avatar_url(obj: Profile, context: dict[str, Any]) -> str | None:
        return _absolute_file_url(obj.avatar, context)

    @staticmethod
    def resolve_avatar_thumbnail_url(obj: Profile, context: dict[str, Any]) -> str | None:
        return _absolute_file_url(obj.avatar_thumbnail, context)

    @staticmethod
    def resolve_teaching_subjects(obj: Profile) -> list[TeachingSubject]:
        return list(obj.user.teaching_subjects.all())

    @staticmethod
    def resolve_learning_subjects(obj: Profile) -> list[Any]:
        return list(obj.user.learning_subjects.all())


# --- availability -----------------------------------------------------------------------------


class WindowIn(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    start_time: time
    end_time: time


class WindowOut(Schema):
    weekday: int
    start_time: time
    end_time: time


class AvailabilityIn(Schema):
    windows: list[WindowIn] = Field(description="The whole weekly pattern; replaces the old one")


class AvailabilityOut(Schema):
    timezone: str = Field(description="The owner's time zone; window times are wall-clock there")
    windows: list[WindowOut]


class ExceptionIn(Schema):
    date: date
    kind: AvailabilityException.Kind = AvailabilityException.Kind.UNAVAILABLE
    start_time: time | None = Field(None, description="Omit both times for the whole day")
    end_time: time | None = None
    note: str = Field("", max_length=120)


class ExceptionOut(Schema):
    id: int
    date: date
    kind: AvailabilityException.Kind
    start_time: time | None
    end_time: time | None
    note: str


class GridDay(Schema):
    name: str
    date: date


class GridRow(Schema):
    hour: str
    slots: list[bool] = Field(description="One per day, Monday first: available in that hour")


class WeekGridOut(Schema):
    timezone: str
    days: list[GridDay]
    rows: list[GridRow]
    empty: bool

    @staticmethod
    def resolve_days(obj: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"name": name, "date": day} for name, day in obj["days"]]

    @staticmethod
    def resolve_rows(obj: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"hour": hour, "slots": slots} for hour, slots in obj["rows"]]


class PublicAvailabilityOut(Schema):
    owner_timezone: str
    windows: list[WindowOut] = Field(description="Wall-clock times in owner_timezone")
    grid: WeekGridOut | None = Field(None, description="Present when ?tz= is given")


# --- verification -----------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    display_name: str


class DecisionOut(Schema):
    id: int
    request_id: int
    decision: VerificationRequest.Status
    reason: str
    decided_at: datetime


class ModeratorDecisionOut(DecisionOut):
    moderator: PersonRef


class DecisionIn(Schema):
    approve: bool
    reason: str = Field(max_length=1000, description="The tutor sees this")


class VerificationOut(Schema):
    id: int
    subject: SubjectRef
    status: VerificationRequest.Status
    original_name: str
    content_type: str
    size: int
    note: str
    submitted_at: datetime
    document_url: str
    decisions: list[DecisionOut]

    @staticmethod
    def resolve_subject(obj: VerificationRequest) -> Subject:
        return obj.teaching_subject.subject

    @staticmethod
    def resolve_document_url(obj: VerificationRequest, context: dict[str, Any]) -> str:
        url = reverse("api:verification_document", kwargs={"request_id": obj.pk})
        request = (context or {}).get("request")
        return request.build_absolute_uri(url) if request is not None else url


class QueueItemOut(VerificationOut):
    """A request as a moderator sees it in the queue."""

    tutor: PersonRef
    decisions: list[ModeratorDecisionOut]  # type: ignore[assignment]

    @staticmethod
    def resolve_tutor(obj: VerificationRequest) -> User:
        return obj.teaching_subject.user
