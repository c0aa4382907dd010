"""Sign-in limits: a locked account is a 429 with Retry-After; an address refused after many
failures still lets browsers that have signed in before through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from peerlearn.accounts.loginlimits import DEVICE_COOKIE
from peerlearn.common.testing import PASSWORD, make_user

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
APP_LOGIN = "/_allauth/app/v1/auth/login"


@pytest.fixture(autouse=True)
def fresh_counts() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def signed_out(browser: Client) -> Client:
    """The same browser after signing out: its session is gone, its device cookie stays
    (the test client's ``logout`` would drop every cookie)."""
    device = browser.cookies[DEVICE_COOKIE].value
    browser.logout()
    browser.cookies[DEVICE_COOKIE] = device
    return browser


def web_login(client: Client, email: str, password: str) -> Any:
    return client.post(LOGIN, {"login": email, "password": password})


def app_login(email: str, password: str) -> Any:
    body = {"email": email, "password": password}
    return Client().post(APP_LOGIN, body, content_type="application/json")


def test_a_locked_account_answers_429_with_retry_after_on_the_page() -> None:
    user = make_user()
    client = Client()
    for _ in range(5):
        assert web_login(client, user.email, "wrong").status_code == 200

    response = web_login(client, user.email, PASSWORD)

    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 300
    assert b"Too many failed sign-in attempts" in response.content


def test_a_locked_account_answers_429_with_retry_after_in_the_app_api() -> None:
    user = make_user()
    for _ in range(5):
        assert app_login(user.email, "wrong").status_code == 400

    response = app_login(user.email, PASSWORD)

    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["errors"][0]["code"] == "too_many_login_attempts"


def test_a_successful_sign_in_does_not_count() -> None:
    user = make_user()
    for _ in range(8):
        assert web_login(Client(), user.email, PASSWORD).status_code == 302


def test_an_address_refused_after_failures_still_lets_known_browsers_sign_in() -> None:
    regular = make_user()
    browser = Client()
    assert web_login(browser, regular.email, PASSWORD).status_code == 302
    browser = signed_out(browser)
    guesser = Client()
    for n in range(10):  # ten failures on ten accounts from the shared address
        web_login(guesser, f"nobody{n}@example.org", "guess")
    assert web_login(guesser, make_user().email, PASSWORD).status_code == 429

    response = web_login(browser, regular.email, PASSWORD)

    assert response.status_code == 302


def test_a_device_cookie_for_another_account_does_not_skip_the_address_limit() -> None:
    mine, other = make_user(), make_user()
    browser = Client()
    assert web_login(browser, mine.email, PASSWORD).status_code == 302
    browser = signed_out(browser)
    for n in range(10):
        web_login(Client(), f"nobody{n}@example.org", "guess")

    assert web_login(browser, other.email, PASSWORD).status_code == 429
