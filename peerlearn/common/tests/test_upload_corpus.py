"""Hostile uploads through ``check_upload`` (and ``reencode_image``): each one is refused or
neutralized. Files are judged by their bytes; names are kept for display only."""

from __future__ import annotations

import io
import re
import struct
import zlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from peerlearn.common.errors import ServiceError
from peerlearn.common.uploads import (
    DOCUMENT_TYPES,
    IMAGE_TYPES,
    MAX_IMAGE_PIXELS,
    check_upload,
    reencode_image,
    safe_display_name,
)

HTML_PAYLOAD = b"<html><body><script>alert(document.cookie)</script></body></html>"
STORAGE_NAME = re.compile(r"^[0-9a-f]{32}\.(png|jpg|webp|gif|pdf)$")


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=fmt)
    return out.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height`` (a pixel flood)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(code: str | set[str], file: SimpleUploadedFile, **kwargs: object) -> ServiceError:
    with pytest.raises(ServiceError) as exc:
        check_upload(file, allowed=kwargs.pop("allowed", IMAGE_TYPES), **kwargs)  # type: ignore[arg-type]
    codes = {code} if isinstance(code, str) else code
    assert exc.value.code in codes, exc.value.code
    assert exc.value.field == kwargs.get("field", "file")
    return exc.value


class TestAppendedData:
    def test_a_png_with_html_appended_is_accepted_as_png_and_re_encoding_drops_the_html(self):
        content = image_bytes("PNG") + HTML_PAYLOAD
        checked = check_upload(upload("cat.png", content), allowed=IMAGE_TYPES)
        assert checked.content_type == "image/png" and checked.extension == "png"
        clean = reencode_image(checked.content, max_side=512).read()
        assert b"<script" not in clean and b"<html" not in clean
        assert clean[:4] == b"RIFF" and clean[8:12] == b"WEBP"
        with Image.open(io.BytesIO(clean)) as img:
            assert img.size == (8, 8)

    @pytest.mark.parametrize("fmt", ["JPEG", "GIF", "WEBP"])
    def test_other_images_with_a_payload_appended_are_neutralized_too(self, fmt: str):
        content = image_bytes(fmt) + HTML_PAYLOAD
        checked = check_upload(upload(f"x.{fmt.lower()}", content), allowed=IMAGE_TYPES)
        assert b"<script" not in reencode_image(checked.content, max_side=64).read()

    def test_html_hidden_in_metadata_is_dropped(self):
        out = io.BytesIO()
        img = Image.new("RGB", (4, 4))
        from PIL import PngImagePlugin

        info = PngImagePlugin.PngInfo()
        info.add_text("Comment", HTML_PAYLOAD.decode())
        img.save(out, format="PNG", pnginfo=info)
        checked = check_upload(upload("meta.png", out.getvalue()), allowed=IMAGE_TYPES)
        assert b"<script" not in reencode_image(checked.content, max_side=64).read()


class TestWrongTypes:
    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("evil.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
            (
                "evil.svg",
                b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
                b"<script>alert(1)</script></svg>",
            ),
            ("page.png", HTML_PAYLOAD),
            ("x.jpg.php", b"<?php system($_GET['c']); ?>"),
            ("x.png", b"#!/bin/sh\nrm -rf /\n"),
            ("x.gif", b"GIF89a<script>alert(1)</script>"),  # a magic number and no image
            ("doc.pdf", b"MZ\x90\x00" + b"\x00" * 60),  # a Windows executable
            ("x.html", b"\xef\xbb\xbf" + HTML_PAYLOAD),
        ],
    )
    def test_it_is_refused(self, name: str, content: bytes):
        refused(
            {"file_type", "image_invalid"},
            upload(name, content),
            allowed={**IMAGE_TYPES, **DOCUMENT_TYPES},
        )

    def test_a_declared_type_is_ignored(self):
        refused("file_type", upload("x.png", HTML_PAYLOAD, content_type="image/png"))

    def test_a_real_jpeg_named_php_is_stored_as_a_jpeg_under_a_fresh_name(self):
        checked = check_upload(upload("x.jpg.php", image_bytes("JPEG")), allowed=IMAGE_TYPES)
        assert checked.content_type == "image/jpeg" and checked.extension == "jpg"
        assert STORAGE_NAME.match(checked.storage_name())
        assert not checked.storage_name().endswith(".php")
        assert checked.original_name == "x.jpg.php"  # for display only

    def test_a_pdf_is_not_accepted_where_only_images_are(self):
        refused("file_type", upload("x.png", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"))


class TestBrokenAndHugeImages:
    def test_a_pixel_flood_png_is_refused_before_decoding(self):
        refused(
            {"image_too_large", "image_invalid"}, upload("flood.png", png_declaring(20000, 20000))
        )

    def test_just_over_our_own_pixel_limit_is_refused_as_too_large(self):
        side = int(MAX_IMAGE_PIXELS**0.5) + 10
        refused("image_too_large", upload("big.png", png_declaring(side, side)))

    def test_a_truncated_image_is_refused(self):
        refused("image_invalid", upload("cut.png", image_bytes("PNG")[:40]))

    def test_a_png_with_a_broken_checksum_is_refused(self):
        data = bytearray(png_declaring(10, 10))
        data[29] ^= 0xFF  # inside the IHDR CRC
        refused({"image_invalid", "file_type"}, upload("crc.png", bytes(data)))


class TestSize:
    def test_an_oversized_file_is_refused(self):
        content = image_bytes("PNG") + b"\x00" * 2048
        refused("file_too_large", upload("big.png", content), max_bytes=1024)

    def test_a_file_lying_about_its_size_is_still_refused(self):
        file = upload("big.png", image_bytes("PNG") + b"\x00" * 4096)
        file.size = 10  # what a client claimed
        refused("file_too_large", file, max_bytes=1024)

    def test_an_empty_file_is_refused(self):
        refused("file_empty", upload("empty.png", b""))

    def test_the_field_is_named(self):
        refused("file_empty", upload("empty.png", b""), field="avatar")


class TestNames:
    @pytest.mark.parametrize(
        "name",
        [
            "../../etc/passwd.png",
            "..\\..\\windows\\win.ini.png",
            "/var/www/html/shell.png",
            "C:\\boot.ini.png",
            "....//....//x.png",
            "%2e%2e%2f%2e%2e%2fx.png",
            "x.png\x00.php",
            "x\n\r.png",
            ".htaccess",
            "..",
            "",
            "a" * 400 + ".png",
            "<script>alert(1)</script>.png",
        ],
    )
    def test_a_hostile_name_never_becomes_a_path(self, name: str):
        file = upload("placeholder.png", image_bytes("PNG"))
        setattr(
            file, "_name", name
        )  # as a hostile client sends it (Django's own setter refuses some)
        checked = check_upload(file, allowed=IMAGE_TYPES)
        assert STORAGE_NAME.match(checked.storage_name())
        display = checked.original_name
        assert "/" not in display and "\\" not in display and "\x00" not in display
        assert "<" not in display and ">" not in display and "\n" not in display
        assert not display.startswith(".") and display not in {"", ".", ".."}
        assert len(display) <= 150

    def test_two_uploads_never_share_a_storage_name(self):
        checked = check_upload(upload("same.png", image_bytes("PNG")), allowed=IMAGE_TYPES)
        assert len({checked.storage_name() for _ in range(100)}) == 100

    def test_display_names_keep_ordinary_names(self):
        assert safe_display_name("Lecture notes 3.pdf") == "Lecture notes 3.pdf"
