"""The daily digest: content, who gets it, once per local day, time zones, the command."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from peerlearn.common.testing import make_user
from peerlearn.notifications import digest, services, tasks
from peerlearn.notifications.models import Notification, NotificationDigest

pytestmark = pytest.mark.django_db

NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def item(user: Any, title: str, *, ago: timedelta = timedelta(hours=1), **fields: Any) -> Any:
    values: dict[str, Any] = {
        "kind": "reply",
        "title": title,
        "body": f"Body of {title}",
        "url": "/forum/1/",
        "created_at": timezone.now() - ago,
    }
    values.update(fields)
    return Notification.objects.create(user=user, **values)


def html_of(message: Any) -> str:
    content, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    return str(content)


def run() -> str:
    out = StringIO()
    call_command("send_digests", stdout=out)
    return out.getvalue()


class TestContent:
    @pytest.fixture(autouse=True)
    def _noon(self) -> Any:
        with time_machine.travel(NOON, tick=False):
            yield

    def test_it_lists_the_unseen_and_not_emailed_of_the_last_day(self):
        user = make_user("ada@example.org", display_name="Ada")
        item(user, "Fresh reply")
        item(user, "A mention", kind="mention", url="")
        item(user, "Already read", read_at=timezone.now())
        item(user, "Already emailed", emailed_at=timezone.now())
        item(user, "Too old", ago=timedelta(hours=25))
        assert "1 digest(s) sent, listing 2 notification(s)." in run()

        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["ada@example.org"]
        assert message.subject == "[PeerLearn] 2 notifications you have not seen"
        text = message.body
        html = html_of(message)
        for body in (text, html):
            assert "Fresh reply" in body and "A mention" in body and "Ada" in body
            assert "Already read" not in body and "Already emailed" not in body
            assert "Too old" not in body
        assert f"{django_settings.SITE_URL}/forum/1/" in text
        assert f'href="{django_settings.SITE_URL}/forum/1/"' in html
        assert f"{django_settings.SITE_URL}/notifications/settings/" in text
        assert Notification.objects.filter(digested_at__isnull=False).count() == 2

    def test_the_html_escapes_what_people_wrote(self):
        user = make_user()
        item(user, "<script>alert(1)</script>", body="<img src=x onerror=alert(1)>")
        run()
        html = html_of(mail.outbox[0])
        assert "<script>" not in html and "<img" not in html
        assert "&lt;script&gt;" in html

    def test_a_long_day_is_cut_and_counted(self):
        user = make_user()
        for i in range(digest.MAX_ITEMS + 3):
            item(user, f"Reply {i}", ago=timedelta(minutes=i + 1))
        run()
        assert "…and 3 more." in mail.outbox[0].body
        assert (
            mail.outbox[0].subject
            == f"[PeerLearn] {digest.MAX_ITEMS + 3} notifications you have not seen"
        )

    def test_nothing_unseen_sends_nothing(self):
        user = make_user()
        item(user, "Read", read_at=timezone.now())
        assert "0 digest(s) sent" in run()
        assert mail.outbox == []
        assert not NotificationDigest.objects.exists()

    def test_in_app_muted_kinds_are_not_in_it(self, django_capture_on_commit_callbacks):
        user = make_user()
        services.notification_preferences_update(
            actor=user,
            digest_enabled=True,
            preferences={"reply": {"in_app": False, "email": False}},
        )
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(user=user, kind="reply", title="Muted", body="")
            services.notify(user=user, kind="mention", title="Kept", body="", email=False)
        run()
        assert len(mail.outbox) == 1
        assert "Kept" in mail.outbox[0].body and "Muted" not in mail.outbox[0].body

    def test_what_notify_emailed_is_not_repeated(self, django_capture_on_commit_callbacks):
        user = make_user()
        with django_capture_on_commit_callbacks(execute=True):
            services.notify(user=user, kind="reply", title="Emailed one", body="")
            services.notify(user=user, kind="mention", title="Not emailed", body="", email=False)
        mail.outbox.clear()
        run()
        assert "Not emailed" in mail.outbox[0].body
        assert "Emailed one" not in mail.outbox[0].body


class TestWhoGetsOne:
    @pytest.fixture(autouse=True)
    def _noon(self) -> Any:
        with time_machine.travel(NOON, tick=False):
            yield

    def test_people_who_turned_the_digest_off_get_none(self):
        user = make_user()
        services.notification_preferences_update(actor=user, digest_enabled=False, preferences={})
        item(user, "Reply")
        run()
        assert mail.outbox == []

    def test_the_master_email_switch_stops_the_digest_too(self):
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="",
            sms_opt_in=False,
            reminder_offsets_minutes=[],
            email_enabled=False,
        )
        item(user, "Reply")
        run()
        assert mail.outbox == []

    def test_inactive_people_get_none(self):
        user = make_user()
        user.is_active = False
        user.save()
        item(user, "Reply")
        run()
        assert mail.outbox == []

    def test_each_person_gets_their_own(self):
        ada, bob = make_user(display_name="Ada"), make_user(display_name="Bob")
        item(ada, "For Ada")
        item(bob, "For Bob")
        run()
        by_to = {m.to[0]: m.body for m in mail.outbox}
        assert "For Ada" in by_to[ada.email] and "For Bob" not in by_to[ada.email]
        assert "For Bob" in by_to[bob.email]


class TestOncePerLocalDay:
    def test_a_second_run_the_same_day_sends_nothing(self):
        user = make_user()
        with time_machine.travel(NOON, tick=False):
            item(user, "Morning reply")
            run()
        with time_machine.travel(NOON + timedelta(hours=6), tick=False):
            item(user, "Evening reply")
            assert "0 digest(s) sent" in run()
        assert len(mail.outbox) == 1
        assert NotificationDigest.objects.get(user=user).local_date.isoformat() == "2026-03-10"

    def test_the_next_day_sends_only_what_is_new(self):
        user = make_user()
        with time_machine.travel(NOON, tick=False):
            item(user, "Day one")
            run()
        with time_machine.travel(NOON + timedelta(hours=20), tick=False):
            item(user, "Day two")
            run()
        assert len(mail.outbox) == 2
        assert "Day two" in mail.outbox[1].body and "Day one" not in mail.outbox[1].body

    def test_the_task_is_idempotent_too(self):
        user = make_user()
        with time_machine.travel(NOON, tick=False):
            item(user, "Reply")
            assert tasks.send_digests.call() == 1
            assert tasks.send_digests.call() == 0
            assert tasks.send_digest.call(user.pk) == 0
        assert len(mail.outbox) == 1

    def test_the_day_is_the_persons_own(self):
        # 22:30 UTC on 10 March is already 11 March in Tokyo but still 10 March in New York.
        tokyo = make_user(timezone="Asia/Tokyo")
        new_york = make_user(timezone="America/New_York")
        late = datetime(2026, 3, 10, 22, 30, tzinfo=UTC)
        with time_machine.travel(late, tick=False):
            item(tokyo, "T1")
            item(new_york, "N1")
            run()
        days = dict(NotificationDigest.objects.values_list("user_id", "local_date"))
        assert days[tokyo.pk].isoformat() == "2026-03-11"
        assert days[new_york.pk].isoformat() == "2026-03-10"
        # Two hours later it is 20:30 in New York and 09:30 in Tokyo, both the same local day
        # as before: nobody gets a second one.
        with time_machine.travel(late + timedelta(hours=2), tick=False):
            item(tokyo, "T2")
            item(new_york, "N2")
            run()
        assert len(mail.outbox) == 2
        # 05:00 UTC on 11 March is 01:00 on 11 March in New York (EDT): a new day for New York
        # only; Tokyo (14:00 on 11 March) already had theirs.
        with time_machine.travel(datetime(2026, 3, 11, 5, 0, tzinfo=UTC), tick=False):
            run()
        assert len(mail.outbox) == 3
        assert mail.outbox[2].to == [new_york.email]
        assert "N2" in mail.outbox[2].body and "N1" not in mail.outbox[2].body

    def test_an_unknown_time_zone_falls_back_to_utc(self):
        user = make_user(timezone="Mars/Olympus")
        with time_machine.travel(NOON, tick=False):
            item(user, "Reply")
            run()
        assert NotificationDigest.objects.get(user=user).local_date.isoformat() == "2026-03-10"

    def test_a_failed_send_releases_the_day(self, monkeypatch):
        user = make_user()

        def broken(**kwargs: Any) -> None:
            raise ConnectionError("smtp down")

        with time_machine.travel(NOON, tick=False):
            item(user, "Reply")
            monkeypatch.setattr(digest, "send_templated_email", broken)
            with pytest.raises(ConnectionError):
                digest.send_digest(user.pk)
            assert not NotificationDigest.objects.exists()
            assert not Notification.objects.filter(digested_at__isnull=False).exists()
            monkeypatch.undo()
            assert digest.send_digest(user.pk) == 1
        assert len(mail.outbox) == 1
