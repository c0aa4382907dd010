"""Direct messages in two Chromium browsers: Ann opens Ben's profile, presses "Message" and
writes; Ben, with the conversation open, sees Ann's image arrive live as a thumbnail; Ann sees
"Seen" once Ben has it on screen. The navigation shows Ben an unread badge before he opens it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from peerlearn.common.testing import make_user, png_bytes
from peerlearn.messaging.models import Attachment, Conversation
from peerlearn.notifications.models import Notification

from .live_helpers import media_browsers, pages_in_own_browsers, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

    from .conftest import NewPage, Screenshot

pytestmark = pytest.mark.e2e


@pytest.fixture
def browsers(live_url: str) -> Iterator[Callable[[], Browser]]:
    yield from media_browsers()


@pytest.fixture
def new_page(browsers: Callable[[], Browser], request: pytest.FixtureRequest) -> Iterator[NewPage]:
    """Each person in a Chromium of their own."""
    yield from pages_in_own_browsers(browsers, request)


def test_a_message_with_an_image_arrives_live_and_is_seen(
    live_url: str, new_page: NewPage, screenshot: Screenshot, tmp_path: Path
) -> None:
    ann_user = make_user("ann@example.org", display_name="Ann Archer")
    ben_user = make_user("ben@example.org", display_name="Ben Baker")
    ann, ben = new_page(), new_page()
    sign_in(ann.context, live_url, ann_user)
    sign_in(ben.context, live_url, ben_user)

    # Ann starts the conversation from Ben's profile.
    ann.goto(f"{live_url}/people/{ben_user.pk}/")
    ann.get_by_role("link", name="Message", exact=True).click()
    ann.get_by_role("heading", name="New message").wait_for()
    ann.get_by_label("Message").fill("Hi Ben! Are you free to go over graphs before Friday?")
    ann.get_by_role("button", name="Start conversation").click()
    ann.wait_for_url(re.compile(r"/messages/\d+/$"))
    conversation = Conversation.objects.get()
    ann.locator(".msg.mine", has_text="free to go over graphs").wait_for()

    # Ben sees an unread badge, then opens the conversation (which reads it).
    ben.goto(f"{live_url}/messages/")
    assert ben.locator("[data-msg-unread]").inner_text() == "1"
    ben.locator(".conv-item", has_text="Ann Archer").wait_for()
    screenshot(ben, "messaging-01-inbox")
    ben.locator(".conv-item", has_text="Ann Archer").click()
    ben.wait_for_url(re.compile(rf"/messages/{conversation.pk}/$"))
    ben.locator(".msg", has_text="free to go over graphs").wait_for()
    ben.wait_for_function("() => window.peerlearnConversation?.socket.status === 'open'")
    ann.locator("[data-seen-label]", has_text="Seen").wait_for()  # the first message, read

    # Ann sends an image; Ben sees it arrive live with a thumbnail.
    picture = tmp_path / "whiteboard.png"
    picture.write_bytes(png_bytes((640, 420), "#0ea5a4"))
    ann.wait_for_function("() => window.peerlearnConversation?.socket.status === 'open'")
    ann.set_input_files("input[type=file][name=file]", str(picture))
    ann.get_by_text("whiteboard.png").wait_for()
    ann.locator("textarea[name=body]").fill("Here is the graph from today's whiteboard.")
    ann.get_by_role("button", name="Send").click()
    thumb = ben.locator(".msg img.msg-thumb")
    thumb.wait_for()
    ben.wait_for_function(
        "() => { const i = document.querySelector('.msg img.msg-thumb');"
        " return i && i.complete && i.naturalWidth > 0; }"
    )
    attachment = Attachment.objects.get()
    assert thumb.get_attribute("src") == f"/messages/files/{attachment.pk}/thumb/"
    ben.locator(".msg", has_text="graph from today's whiteboard").wait_for()

    # Ben had it on screen: Ann sees "Seen" under her image message. Ben was notified once,
    # of the first message; not of the image, which arrived while he was watching.
    last_mine = ann.locator(".msg.mine").last
    last_mine.locator("[data-seen-label]", has_text="Seen").wait_for()
    assert Notification.objects.filter(user=ben_user, kind="message").count() == 1
    screenshot(ann, "messaging-02-seen")
    screenshot(ben, "messaging-03-received")

    ben.goto(f"{live_url}/messages/settings/")
    ben.get_by_label("Share read receipts").wait_for()
    screenshot(ben, "messaging-04-settings")

    # A stranger's browser gets nothing from the same URLs.
    otto = make_user("otto@example.org", display_name="Otto")
    sign_in(ben.context, live_url, otto)
    response = ben.request.get(f"{live_url}/messages/files/{attachment.pk}/thumb/")
    assert response.status == 404
