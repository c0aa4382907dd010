"""The admin covers every model, its lists cost a fixed number of queries however many rows
they show, and it refuses anyone without the permission."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time, timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from model_bakery import baker

from peerlearn.accounts.adminkit import RecordAdmin
from peerlearn.accounts.models import Subject, User
from peerlearn.common.testing import make_admin, make_moderator, make_user
from peerlearn.forum.models import Thread
from peerlearn.scheduling.models import Booking

pytestmark = pytest.mark.django_db

PROJECT_MODELS = sorted(
    (m for m in apps.get_models() if m.__module__.startswith("peerlearn.")),
    key=lambda m: m._meta.label,
)


def _later(minutes: int) -> Any:
    return timezone.now() + timedelta(minutes=minutes)


# Field values that satisfy each model's check constraints (baker fills the rest at random).
VALID: dict[str, Callable[[], dict[str, Any]]] = {
    "accounts.Subject": lambda: {
        "kind": "topic",
        "parent": baker.make(Subject, kind="area", parent=None),
    },
    "accounts.AvailabilityWindow": lambda: {
        "weekday": 2,
        "start_time": time(9),
        "end_time": time(10),
    },
    "accounts.AvailabilityException": lambda: {"kind": "unavailable"},
    "forum.Category": lambda: {"members_only": False},
    "peerlearn_lti.Placement": lambda: {"kind": "course", "graded": False},
    "matching.Impression": lambda: {"propensity": 0.5},
    "forum.Vote": lambda: {"thread": _one(Thread), "reply": None, "value": 1},
    "forum.Flag": lambda: {"thread": _one(Thread), "reply": None},
    "forum.PostEdit": lambda: {"thread": _one(Thread), "reply": None},
    "forum.Subscription": lambda: {"thread": _one(Thread), "category": None},
    "live.Room": lambda: {"booking": _one(Booking), "practice_session": None},
    "notifications.Notification": lambda: {"url": "/somewhere/"},
    "notifications.NotificationSettings": lambda: {"sms_opt_in": False},
    "practice.PracticeSession": lambda: {"visibility": "public", "password_hash": ""},
    "reviews.Review": lambda: {
        "direction": "of_tutor",
        "clarity": 4,
        "knowledge": 5,
        "patience": 4,
        "punctuality": 5,
        "preparedness": None,
        "engagement": None,
        "overall": 4.5,
        "comment": "Clear and patient.",
    },
    "reviews.ReviewReport": lambda: {"resolution": ""},
    "reviews.TutorRatingTotal": lambda: {"total": 9, "count": 2},
    "scheduling.Booking": lambda: {
        "kind": "one_to_one",
        "capacity": 1,
        "starts_at": _later(60),
        "ends_at": _later(120),
    },
    "scheduling.TimeClaim": lambda: {"starts_at": _later(60), "ends_at": _later(120)},
    "scheduling.RescheduleProposal": lambda: {"starts_at": _later(60), "ends_at": _later(120)},
}


def _one(model: type[Any], **fields: Any) -> Any:
    """One valid row of ``model``, and valid rows for the foreign keys it needs."""
    values = {**VALID.get(model._meta.label, dict)(), **fields}
    for field in model._meta.concrete_fields:
        related = field.related_model
        if (
            field.is_relation
            and field.name not in values
            and not field.null
            and related.__module__.startswith("peerlearn.")
        ):
            values[field.name] = _one(related)
    return baker.make(model, _fill_optional=False, _create_files=False, **values)


def _bake(model: type[Any], quantity: int) -> None:
    for _ in range(quantity):
        _one(model)


def _changelist(model: type[Any]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _page_queries(captured: CaptureQueriesContext) -> list[str]:
    """The page's own queries (the session store's reads come and go with its cache)."""
    return [
        q["sql"].split(" WHERE ")[0][:120]
        for q in captured.captured_queries
        if "django_session" not in q["sql"]
    ]


@pytest.fixture
def superuser_client() -> Client:
    user = User.objects.create_superuser(email="root@example.org", password="x")
    client = Client()
    client.force_login(user)
    return client


def test_every_model_of_every_app_is_in_the_admin() -> None:
    missing = [m._meta.label for m in PROJECT_MODELS if m not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", PROJECT_MODELS, ids=lambda m: m._meta.label)
def test_a_changelist_costs_the_same_queries_for_few_and_many_rows(
    model: type[Any], superuser_client: Client
) -> None:
    url = _changelist(model)
    assert superuser_client.get(url).status_code == 200  # warm: sessions, content types
    _bake(model, 2)
    with CaptureQueriesContext(connection) as few:
        assert superuser_client.get(url).status_code == 200
    _bake(model, 6)
    with CaptureQueriesContext(connection) as many:
        response = superuser_client.get(url)
    assert response.status_code == 200
    shown = response.context["cl"].result_count
    assert shown >= 8
    assert _page_queries(many) == _page_queries(few)
    # Searching and opening one row work too.
    assert superuser_client.get(url, {"q": "someone"}).status_code == 200
    obj = model.objects.order_by("pk").last()
    change = reverse(
        f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[obj.pk]
    )
    assert superuser_client.get(change).status_code == 200


@pytest.mark.parametrize(
    "model",
    [m for m in PROJECT_MODELS if isinstance(admin.site._registry.get(m), RecordAdmin)],
    ids=lambda m: m._meta.label,
)
def test_a_record_cannot_be_added_changed_or_deleted_by_hand(
    model: type[Any], superuser_client: Client
) -> None:
    _bake(model, 1)
    obj = model.objects.order_by("pk").last()
    label = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    before = {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields}
    assert superuser_client.get(reverse(f"{label}_add")).status_code == 403
    superuser_client.post(reverse(f"{label}_change", args=[obj.pk]), {})
    assert superuser_client.post(reverse(f"{label}_delete", args=[obj.pk])).status_code == 403
    obj.refresh_from_db()
    assert {f.attname: getattr(obj, f.attname) for f in model._meta.concrete_fields} == before


def test_the_admin_sends_non_staff_to_the_login_page() -> None:
    client = Client()
    client.force_login(make_user())
    response = client.get(_changelist(User))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert client.get(reverse("admin:index")).status_code == 302


def test_a_moderator_sees_the_queues_models_but_not_bookings_or_messages() -> None:
    from peerlearn.messaging.models import Message
    from peerlearn.scheduling.models import Booking

    client = Client()
    client.force_login(make_moderator())
    assert client.get(_changelist(User)).status_code == 200
    assert client.get(reverse("admin:accounts_verificationrequest_changelist")).status_code == 200
    assert client.get(_changelist(Booking)).status_code == 403
    assert client.get(_changelist(Message)).status_code == 403


def test_an_administrator_sees_everything_but_cannot_grant_staff_roles() -> None:
    from peerlearn.scheduling.models import Booking

    client = Client()
    admin_user = make_admin()
    client.force_login(admin_user)
    assert client.get(_changelist(Booking)).status_code == 200
    response = client.get(_changelist(User))
    actions = [name for name, _ in response.context["action_form"].fields["action"].choices]
    assert "suspend" in actions and "make_moderator" not in actions
