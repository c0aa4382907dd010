"""schemathesis over every operation of /api/v1/, signed in (session cookie and CSRF token) as a
learner and as a tutor who share a booking: valid and invalid input (a few examples of each per
operation, to keep the run to minutes), checking that nothing answers 5xx, that every status,
content type and body is the one the document promises, and that invalid input is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection, transaction
from django.test import Client
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from psycopg.pq import TransactionStatus

from config.api import api
from peerlearn.common.testing import make_booking, make_tutor, make_user

pytestmark = pytest.mark.django_db


def each_request_in_a_savepoint(app: Any) -> Any:
    """The WSGI app with each request in a savepoint of the test's transaction, as each request
    has its own transaction in production: a statement that fails (and is answered with a 4xx)
    must not poison the requests after it."""

    def call(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        with transaction.atomic():
            body = list(app(environ, start_response))
            status = getattr(connection.connection, "info", None)  # PostgreSQL's state
            if status is not None and status.transaction_status == TransactionStatus.INERROR:
                transaction.set_rollback(True)
        return body

    return call


# A copy: schemathesis rewrites the document it is given, and the API keeps and serves its own.
schema = schemathesis.openapi.from_dict(
    json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1/")))
)
schema.app = each_request_in_a_savepoint(get_wsgi_application())
schema.config.generation.update(
    modes=[schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE]
)


def signed_in_headers(user: Any) -> dict[str, str]:
    client = Client()
    client.force_login(user)
    client.get("/api/v1/me")
    session = client.cookies["sessionid"].value
    csrf = "a" * 32
    return {"Cookie": f"sessionid={session}; csrftoken={csrf}", "X-CSRFToken": csrf}


@pytest.fixture(params=["learner", "tutor"])
def caller(request: pytest.FixtureRequest, settings: Any) -> Iterator[dict[str, str]]:
    settings.API_RATE_LIMIT_PER_MINUTE = 0
    tutor = make_tutor()
    learner = make_user()
    make_booking(tutor, [learner])
    headers = signed_in_headers(learner if request.param == "learner" else tutor)
    # The WSGI handler closes the database connection around each request, and the test's
    # transaction lives on it: keep it open, as Django's test client does.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield headers
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@hypothesis_settings(
    max_examples=10,
    derandomize=True,  # the same examples every run: CI is repeatable
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_its_contract(case: Any, caller: dict[str, str]) -> None:
    case.call_and_validate(headers=caller)
