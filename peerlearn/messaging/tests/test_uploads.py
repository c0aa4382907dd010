"""The attachment path against a corpus of hostile files: each is refused or neutralized, and
nothing is ever served inline as something a browser would run."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from PIL import Image

from peerlearn.accounts.models import private_storage
from peerlearn.common.errors import ServiceError
from peerlearn.common.testing import PDF_BYTES, png_bytes, upload
from peerlearn.messaging import services
from peerlearn.messaging.models import Attachment

from .conftest import Pair, logged_in

pytestmark = pytest.mark.django_db

HTML = b"<html><script>alert(document.cookie)</script></html>"


def _send(pair: Pair, name: str, content: bytes) -> Attachment:
    message = services.message_send(
        actor=pair.ann, conversation_id=pair.conversation.pk, body="", upload=upload(name, content)
    )
    return message.attachments.get()


def _assert_safe_headers(response: object, *, inline: bool) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in headers["Content-Security-Policy"]
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert "html" not in headers["Content-Type"]
    assert "svg" not in headers["Content-Type"]
    disposition = headers.get("Content-Disposition", "")
    if inline:
        assert headers["Content-Type"] == "image/webp"
        assert not disposition.startswith("attachment")
    else:
        assert disposition.startswith("attachment")


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def _fetch_all(pair: Pair, item: Attachment) -> list[bytes]:
    client = logged_in(pair.ben)
    bodies = []
    download = client.get(reverse("messaging:attachment", args=[item.pk]))
    assert download.status_code == 200
    _assert_safe_headers(download, inline=False)
    bodies.append(_body(download))
    if item.is_image:
        for name in ("messaging:image", "messaging:thumbnail"):
            response = client.get(reverse(name, args=[item.pk]))
            assert response.status_code == 200
            _assert_safe_headers(response, inline=True)
            bodies.append(_body(response))
    return bodies


def test_a_png_with_html_appended_is_re_encoded_without_it(pair: Pair) -> None:
    item = _send(pair, "cat.png", png_bytes() + HTML)
    assert item.is_image and item.content_type == "image/webp"
    for body in _fetch_all(pair, item):
        assert b"<script" not in body and b"<html" not in body
        with Image.open(io.BytesIO(body)) as img:
            assert img.format == "WEBP"


def test_an_image_gets_a_small_thumbnail(pair: Pair) -> None:
    item = _send(pair, "big.png", png_bytes((1200, 900)))
    with item.thumbnail.open("rb") as fh, Image.open(fh) as thumb:
        assert max(thumb.size) <= services.THUMBNAIL_SIDE


@pytest.mark.parametrize(
    "name, content",
    [
        ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("page.html", HTML),
        ("page.png", HTML),  # a lying extension
        ("notes.txt", b"just text"),
        ("empty.pdf", b""),
    ],
)
def test_files_that_are_not_an_accepted_type_by_content_are_refused(
    pair: Pair, name: str, content: bytes
) -> None:
    with pytest.raises(ServiceError) as exc:
        _send(pair, name, content)
    assert exc.value.code in {"file_type", "file_empty"}
    assert not Attachment.objects.exists()
    assert not pair.conversation.messages.exists()  # the whole message is rolled back


def test_a_php_name_on_an_image_is_neutralized(pair: Pair) -> None:
    item = _send(pair, "x.jpg.php", png_bytes())
    stored = str(item.file.name)
    assert not stored.endswith(".php")
    assert stored.endswith(".webp")
    assert not item.original_name.endswith(".php")
    _fetch_all(pair, item)


def test_a_pixel_flood_image_is_refused(pair: Pair) -> None:
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, format="PNG")  # 400 megapixels, a few KB
    assert len(out.getvalue()) < 200_000
    with pytest.raises(ServiceError) as exc:
        _send(pair, "flood.png", out.getvalue())
    assert exc.value.code in {"image_too_large", "image_invalid"}


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\windows\\win.ini", "/etc/passwd"])
def test_path_traversal_names_never_reach_the_storage_path(pair: Pair, name: str) -> None:
    item = _send(pair, name, PDF_BYTES)
    stored = str(item.file.name)
    assert ".." not in stored and "etc" not in stored
    assert stored.startswith(f"messages/{pair.conversation.pk}/")
    assert "/" not in item.original_name and "\\" not in item.original_name
    assert private_storage().exists(item.file.name)
    _fetch_all(pair, item)


def test_an_oversized_file_is_refused(pair: Pair, settings: object) -> None:
    settings.MESSAGE_MAX_ATTACHMENT_BYTES = 1024  # type: ignore[attr-defined]
    with pytest.raises(ServiceError) as exc:
        _send(pair, "doc.pdf", PDF_BYTES + b"%" * 2048)
    assert exc.value.code == "file_too_large"


def test_a_pdf_is_only_ever_a_download(pair: Pair) -> None:
    item = _send(pair, "notes.pdf", PDF_BYTES)
    assert not item.is_image and item.content_type == "application/pdf"
    _fetch_all(pair, item)
    client = logged_in(pair.ben)
    assert client.get(reverse("messaging:image", args=[item.pk])).status_code == 404
    assert client.get(reverse("messaging:thumbnail", args=[item.pk])).status_code == 404


def test_files_live_in_private_storage_with_no_public_url(pair: Pair, settings: object) -> None:
    item = _send(pair, "cat.png", png_bytes())
    assert item.file.storage is private_storage()
    media_url = settings.MEDIA_URL  # type: ignore[attr-defined]
    response = logged_in(pair.ben).get(f"{media_url}{item.file.name}")
    assert response.status_code == 404
