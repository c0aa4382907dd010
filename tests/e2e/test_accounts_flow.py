"""A newcomer's first hour, through real pages in Chromium: sign up, verify the address, turn on
TOTP, see recovery codes, sign out and back in with the second factor, fill in the profile and
the weekly hours, and find them on the public profile. A second test adds a passkey (Chromium's
virtual authenticator) and signs in with it alone."""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING, Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.mfa.utils import decrypt
from django.core import mail

from peerlearn.accounts.models import User
from peerlearn.common.testing import PASSWORD, make_user

if TYPE_CHECKING:
    from playwright.sync_api import CDPSession, Page

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e

NEW_PASSWORD = "maple-orbit-lantern-42"
TOTP_PERIOD = mfa_settings.TOTP_PERIOD


def _fresh_totp_code(secret: str, *, after_counter: int | None = None) -> tuple[str, int]:
    """The current code, computed with allauth's own HOTP, and its time step.

    allauth accepts only the current step (no tolerance) and refuses a code it has already seen,
    so wait for a step later than ``after_counter``, and never hand out a code about to expire."""
    while True:
        now = time.time()
        counter = int(now) // TOTP_PERIOD
        seconds_left = TOTP_PERIOD - now % TOTP_PERIOD
        if (after_counter is None or counter > after_counter) and seconds_left > 3:
            return format_hotp_value(hotp_value(secret, counter)), counter
        time.sleep(min(seconds_left, 1.0) + 0.05)


def _reauthenticate_if_asked(page: Page, password: str, *, target: str) -> None:
    """MFA management pages first ask for the password again (allauth's reauthentication);
    wait until the browser is on ``target`` (a path), typing the password when asked."""
    page.wait_for_url(re.compile(f"/accounts/reauthenticate/|{re.escape(target)}"))
    if "/accounts/reauthenticate/" in page.url:
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(f"{re.escape(target)}$"))


def _sign_in_form(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()


def _sign_out_from_account_menu(page: Page) -> None:
    page.locator("details.menu > summary", has_text="Account menu").click()
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").wait_for()


def test_a_newcomer_signs_up_secures_the_account_and_publishes_a_profile(
    live_url: str, new_page: NewPage, screenshot: Screenshot
) -> None:
    email = "ada.lovelace@example.org"
    page = new_page()

    # Sign up with email and password.
    page.goto(f"{live_url}/accounts/signup/")
    page.get_by_label("Email").fill(email)
    page.locator("input[name=password1]").fill(NEW_PASSWORD)
    page.locator("input[name=password2]").fill(NEW_PASSWORD)
    page.get_by_role("button", name=re.compile(r"^sign up$", re.I)).click()
    page.get_by_role("heading", name="Verify Your Email Address").wait_for()
    screenshot(page, "flow-01-verification-sent")

    # The verification email arrives (locmem backend; the server runs in this process).
    assert [m.to for m in mail.outbox] == [[email]]
    body = str(mail.outbox[0].body)
    match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert match, body
    assert match.group(0).startswith(live_url)

    # Open the link and confirm (confirming on GET is off, so there is a button).
    page.goto(match.group(0))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{live_url}/")
    user = User.objects.get(email=email)
    assert EmailAddress.objects.get(user=user, email=email).verified

    # Two-factor: activate an authenticator app from the 2FA page.
    page.goto(f"{live_url}/accounts/2fa/")
    page.get_by_role("link", name="Activate").click()
    _reauthenticate_if_asked(page, NEW_PASSWORD, target="/accounts/2fa/totp/activate/")
    page.get_by_role("heading", name="Activate Authenticator App").wait_for()
    screenshot(page, "flow-02-totp-activate")
    secret = page.get_by_label("Authenticator secret").input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    code, activation_counter = _fresh_totp_code(secret)
    page.get_by_label("Authenticator code").fill(code)
    page.get_by_role("button", name="Activate").click()

    # allauth offers recovery codes right after the first authenticator; look at them.
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/$"))
    page.goto(f"{live_url}/accounts/2fa/recovery-codes/")
    codes = page.get_by_label("Unused codes").input_value().split()
    assert len(codes) == 10
    assert all(re.fullmatch(r"\w{6,}", c) for c in codes)
    screenshot(page, "flow-03-recovery-codes")
    totp = Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP)
    assert decrypt(totp.data["secret"]) == secret

    # Log out from the account menu.
    _sign_out_from_account_menu(page)

    # Log in again: password first, then the authenticator code.
    _sign_in_form(page, live_url, email, NEW_PASSWORD)
    page.get_by_role("heading", name="Two-Factor Authentication").wait_for()
    assert "/accounts/2fa/authenticate/" in page.url
    screenshot(page, "flow-04-second-factor")
    code, _ = _fresh_totp_code(secret, after_counter=activation_counter)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name=re.compile(r"^sign in$", re.I)).click()
    page.wait_for_url(f"{live_url}/")
    page.locator("details.menu > summary", has_text="Account menu").wait_for()

    # Edit the profile.
    page.goto(f"{live_url}/me/profile/")
    page.get_by_label("Display name").fill("Ada Lovelace")
    page.get_by_label("Bio").fill("Second-year maths student. Happy to explain recursion twice.")
    page.get_by_label("Programme").fill("BSc Mathematics")
    page.get_by_label("Year of study").fill("2")
    page.get_by_label("Time zone").select_option("Europe/Berlin")
    languages = page.get_by_role("group", name="Languages")
    languages.get_by_label("English").check()
    languages.get_by_label("German").check()
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Visual").check()
    page.get_by_label("Pair practice").check()
    page.get_by_role("button", name="Save profile").click()
    page.get_by_text("Your profile is saved.").wait_for()
    screenshot(page, "flow-05-profile-edit")
    profile = User.objects.get(pk=user.pk).profile
    assert profile.display_name == "Ada Lovelace"
    assert profile.timezone == "Europe/Berlin"
    assert profile.languages == ["en", "de"]
    assert profile.learning_styles == ["visual"]
    assert profile.session_formats == ["pair_practice"]

    # Weekly availability: two windows on each weekday, none at the weekend.
    page.goto(f"{live_url}/me/availability/")
    for day in ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"):
        page.get_by_label(day).fill("09:00-12:00, 14:00-17:00")
    page.get_by_role("button", name="Save weekly hours").click()
    page.get_by_text("Your weekly availability is saved.").wait_for()
    assert page.locator(".week-grid .cell.free").count() == 30
    screenshot(page, "flow-06-availability")
    assert user.availability.count() == 10

    # The public profile shows it all, to its owner and to a stranger.
    page.goto(f"{live_url}/people/{user.pk}/")
    _assert_public_profile(page)
    screenshot(page, "flow-07-public-profile-self")

    stranger = new_page()
    stranger.goto(f"{live_url}/people/{user.pk}/")
    _assert_public_profile(stranger)
    # The stranger sees the hours converted to their own time zone (UTC when signed out).
    assert "UTC" in (stranger.locator(".week-grid").get_attribute("aria-label") or "")
    assert "Europe/Berlin" in (page.locator(".week-grid").get_attribute("aria-label") or "")


def _assert_public_profile(page: Page) -> None:
    page.get_by_role("heading", name="Ada Lovelace", level=1).wait_for()
    assert page.get_by_text("Happy to explain recursion twice.").is_visible()
    facts = page.locator("dl.facts").inner_text()
    assert "BSc Mathematics, year 2" in facts
    assert "English, German" in facts
    assert "Europe/Berlin" in facts
    # 3 + 3 free hours on five weekdays; whole-hour offsets keep the count in any time zone.
    assert page.locator(".week-grid .cell.free").count() == 30


def _add_virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    """A platform authenticator with user verification, as Chromium exposes it over CDP."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, added["authenticatorId"]


def test_a_member_adds_a_passkey_and_signs_in_with_it(
    live_url: str, new_page: NewPage, screenshot: Screenshot, settings: Any
) -> None:
    # WebAuthn needs a secure context and a domain as relying-party id: http://localhost is
    # both, while an IP address such as 127.0.0.1 can never be an RP id.
    settings.MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = True
    base = live_url.replace("127.0.0.1", "localhost")
    user = make_user("grace@example.org", display_name="Grace Hopper")
    page = new_page()
    cdp, authenticator_id = _add_virtual_authenticator(page)

    _sign_in_form(page, base, user.email, PASSWORD)
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/accounts/2fa/webauthn/add/")
    _reauthenticate_if_asked(page, PASSWORD, target="/accounts/2fa/webauthn/add/")
    page.get_by_role("heading", name="Add Security Key").wait_for()
    page.get_by_label("Name").fill("Laptop passkey")
    page.get_by_label("Passwordless").check()  # a passkey: the key alone signs in
    screenshot(page, "flow-08-passkey-add")
    page.get_by_role("button", name="Add").click()
    page.wait_for_url(lambda url: "/webauthn/add/" not in url)

    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"]
    key = Authenticator.objects.get(user=user, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().name == "Laptop passkey"
    assert key.wrap().is_passwordless

    _sign_out_from_account_menu(page)

    page.goto(f"{base}/accounts/login/")
    screenshot(page, "flow-09-login-with-passkey")
    page.get_by_role("button", name="Sign in with a passkey").click()
    page.wait_for_url(f"{base}/")
    page.locator("details.menu > summary", has_text="Account menu").wait_for()
    assert (
        "Grace Hopper"
        in page.locator("details.menu > summary", has_text="Account menu").inner_text()
    )
