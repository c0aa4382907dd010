"""The SMS backends; the HTTP one against a real local HTTP server speaking the Twilio API."""

from __future__ import annotations

import base64
import io
import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.core.exceptions import ImproperlyConfigured

from peerlearn.common.testing import make_user
from peerlearn.notifications import services, tasks
from peerlearn.notifications.models import Notification
from peerlearn.notifications.sms import (
    ConsoleSmsBackend,
    HttpSmsBackend,
    MemorySmsBackend,
    SmsError,
    get_sms_backend,
    parse_sms_backend,
)

SID, TOKEN, FROM = "AC0123456789", "s3cr3t/tok@n", "+15550001111"


class FakeGateway(ThreadingHTTPServer):
    """Records each request; answers with ``reply`` after ``delay`` seconds."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), GatewayHandler)
        self.requests: list[dict[str, Any]] = []
        self.reply: tuple[int, str] = (201, json.dumps({"sid": "SM1", "status": "queued"}))
        self.delay = 0.0
        self.hold = threading.Event()  # set to end a delay early
        self.answered = 0

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"twilio+http://{SID}:s3cr3t%2Ftok%40n@{host!s}:{port}/?from=%2B15550001111"


class GatewayHandler(BaseHTTPRequestHandler):
    server: FakeGateway

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.requests.append(
            {
                "path": self.path,
                "authorization": self.headers.get("Authorization"),
                "content_type": self.headers.get("Content-Type"),
                "form": parse_qs(raw.decode()),
            }
        )
        if self.server.delay:
            self.server.hold.wait(self.server.delay)
        self.server.answered += 1
        status, body = self.server.reply
        payload = body.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout test)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def gateway() -> Iterator[FakeGateway]:
    server = FakeGateway()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class TestHttpSmsBackend:
    def test_it_posts_the_message_as_a_form_with_basic_auth(self, gateway: FakeGateway):
        parse_sms_backend(gateway.url).send("+4915123456789", "Your session starts at 15:00 ✓")
        assert len(gateway.requests) == 1
        request = gateway.requests[0]
        assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
        expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        assert request["authorization"] == f"Basic {expected}"
        assert request["content_type"] == "application/x-www-form-urlencoded"
        assert request["form"] == {
            "From": [FROM],
            "To": ["+4915123456789"],
            "Body": ["Your session starts at 15:00 ✓"],
        }

    def test_a_400_answer_raises_sms_error_with_the_gateways_message(self, gateway: FakeGateway):
        gateway.reply = (
            400,
            json.dumps(
                {
                    "code": 21211,
                    "message": "The 'To' number +4912 is not a valid phone number.",
                    "status": 400,
                }
            ),
        )
        with pytest.raises(SmsError) as exc:
            parse_sms_backend(gateway.url).send("+4912", "Hi")
        assert exc.value.status == 400
        assert "The 'To' number +4912 is not a valid phone number." in exc.value.message

    def test_a_server_error_without_json_is_reported_too(self, gateway: FakeGateway):
        gateway.reply = (503, "upstream overloaded")
        with pytest.raises(SmsError) as exc:
            parse_sms_backend(gateway.url).send("+4915123456789", "Hi")
        assert exc.value.status == 503 and "upstream overloaded" in exc.value.message

    def test_an_unreachable_gateway_raises_sms_error(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        backend = parse_sms_backend(f"twilio+http://{SID}:x@127.0.0.1:{port}/?from=%2B15550001111")
        with pytest.raises(SmsError, match="could not be reached"):
            backend.send("+4915123456789", "Hi")

    def test_a_slow_gateway_times_out(self, gateway: FakeGateway):
        gateway.delay = 60.0
        backend = parse_sms_backend(gateway.url + "&timeout=0.2")
        with pytest.raises(SmsError):
            backend.send("+4915123456789", "Hi")
        # The gateway got the request and had not answered when the backend gave up.
        assert len(gateway.requests) == 1 and gateway.answered == 0
        gateway.hold.set()

    @pytest.mark.django_db
    def test_notify_texts_through_the_gateway(
        self, gateway: FakeGateway, settings, django_capture_on_commit_callbacks
    ):
        settings.SMS_BACKEND = gateway.url
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="+4915123456789",
            sms_opt_in=True,
            reminder_offsets_minutes=[60],
            email_enabled=False,
        )
        with django_capture_on_commit_callbacks(execute=True):
            n = services.notify(
                user=user,
                kind="booking_reminder",
                title="Your session starts in 1 hour",
                body="Graphs with Ada.",
                url="/sessions/42/",
                sms=True,
            )
        assert len(gateway.requests) == 1
        form = gateway.requests[0]["form"]
        assert form["To"] == ["+4915123456789"] and form["From"] == [FROM]
        assert form["Body"][0].startswith("PeerLearn: Your session starts in 1 hour")
        assert form["Body"][0].endswith(f"{settings.SITE_URL}/sessions/42/")
        n.refresh_from_db()
        assert n.texted_at is not None

    @pytest.mark.django_db
    def test_a_refused_text_stays_unsent_for_a_retry(self, gateway: FakeGateway, settings):
        settings.SMS_BACKEND = gateway.url
        gateway.reply = (400, json.dumps({"message": "Permission to send denied"}))
        user = make_user()
        services.notification_settings_update(
            actor=user,
            phone_number="+4915123456789",
            sms_opt_in=True,
            reminder_offsets_minutes=[60],
            email_enabled=False,
        )
        n = Notification.objects.create(user=user, kind="booking_reminder", title="Soon")
        with pytest.raises(SmsError, match="Permission to send denied"):
            tasks.deliver_sms.call(n.pk)
        n.refresh_from_db()
        assert n.texted_at is None
        gateway.reply = (201, "{}")
        assert tasks.deliver_sms.call(n.pk) is True


class TestParseSmsBackend:
    @pytest.mark.parametrize("value", ["", "console", "console:", "  console "])
    def test_console_is_the_default(self, value: str):
        assert isinstance(parse_sms_backend(value), ConsoleSmsBackend)

    def test_memory_backend(self):
        assert isinstance(parse_sms_backend("memory"), MemorySmsBackend)

    def test_a_https_url_builds_the_http_backend(self):
        backend = parse_sms_backend(
            "twilio+https://AC1:tok%40en@api.twilio.com/?from=%2B15550001111&timeout=4"
        )
        assert isinstance(backend, HttpSmsBackend)
        assert backend.base_url == "https://api.twilio.com"
        assert (backend.account_sid, backend.auth_token) == ("AC1", "tok@en")
        assert backend.from_number == "+15550001111" and backend.timeout == 4.0
        assert (
            backend.messages_url == "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
        )
        assert "tok@en" not in repr(backend)

    def test_a_base_path_is_kept(self):
        backend = parse_sms_backend("twilio+http://AC1:t@gw.local:8080/sms/?from=%2B15550001111")
        assert isinstance(backend, HttpSmsBackend)
        assert backend.base_url == "http://gw.local:8080/sms"

    @pytest.mark.parametrize(
        "value",
        [
            "smtp://AC1:t@host/?from=%2B15550001111",
            "http://AC1:t@host/?from=%2B15550001111",
            "twilio+https://AC1@host/?from=%2B15550001111",
            "twilio+https://host/?from=%2B15550001111",
            "twilio+https://AC1:t@host/",
            "twilio+https://AC1:t@host/?from=+15550001111",  # + not escaped: a space
            "twilio+https://AC1:t@host/?from=%2B15550001111&timeout=soon",
            "twilio+https://AC1:t@host/?from=%2B15550001111&timeout=0",
            "twilio+https://AC1:t@host:99999/?from=%2B15550001111",
        ],
    )
    def test_a_bad_value_is_a_configuration_error(self, value: str):
        with pytest.raises(ImproperlyConfigured):
            parse_sms_backend(value)

    def test_get_sms_backend_reads_the_setting(self, settings):
        settings.SMS_BACKEND = "twilio+https://AC1:t@api.twilio.com/?from=%2B15550001111"
        assert isinstance(get_sms_backend(), HttpSmsBackend)
        settings.SMS_BACKEND = "console"
        assert isinstance(get_sms_backend(), ConsoleSmsBackend)


def test_the_console_backend_writes_the_message():
    out = io.StringIO()
    ConsoleSmsBackend(stream=out).send("+4915123456789", "Hello")
    assert "+4915123456789" in out.getvalue() and "Hello" in out.getvalue()


def test_a_malformed_sms_backend_fails_the_system_checks(settings):
    from peerlearn.notifications.checks import check_sms_backend

    settings.SMS_BACKEND = "twilio+https://AC1:t@api.twilio.com/"  # no ?from=
    errors = check_sms_backend()
    assert [e.id for e in errors] == ["notifications.E001"]
    settings.SMS_BACKEND = "console"
    assert check_sms_backend() == []
