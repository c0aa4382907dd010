"""Validating uploaded files by their content, never by their name or declared type."""

from __future__ import annotations

import io
import os
import re
import uuid
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from PIL import Image, UnidentifiedImageError

from .errors import Invalid

IMAGE_TYPES = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp", "image/gif": "gif"}
DOCUMENT_TYPES = {"application/pdf": "pdf"}
MAX_IMAGE_PIXELS = 40_000_000  # a pixel-flood image is refused before it is decoded


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    extension: str
    original_name: str

    def storage_name(self) -> str:
        """A fresh random name: the user's name is kept for display only, never as a path."""
        return f"{uuid.uuid4().hex}.{self.extension}"


def safe_display_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/"))
    base = re.sub(r"[^\w.\- ]+", "_", base).strip(" .") or "file"
    return base[:150]


def check_upload(
    upload: UploadedFile,
    *,
    allowed: dict[str, str],
    max_bytes: int | None = None,
    field: str = "file",
) -> CheckedUpload:
    """Read the upload, sniff its real type from the bytes and refuse anything not allowed."""
    limit = max_bytes or settings.MAX_UPLOAD_BYTES
    if upload.size is not None and upload.size > limit:
        raise Invalid(
            f"The file is too large (limit {limit // (1024 * 1024)} MB).",
            code="file_too_large",
            field=field,
        )
    content = upload.read(limit + 1)
    if len(content) > limit:
        raise Invalid(
            f"The file is too large (limit {limit // (1024 * 1024)} MB).",
            code="file_too_large",
            field=field,
        )
    if not content:
        raise Invalid("The file is empty.", code="file_empty", field=field)
    kind = filetype.guess(content)
    mime = kind.mime if kind else ""
    if mime not in allowed:
        accepted = ", ".join(sorted(ext.upper() for ext in set(allowed.values())))
        raise Invalid(
            f"This kind of file is not accepted. Use {accepted}.", code="file_type", field=field
        )
    if mime in IMAGE_TYPES:
        _check_image(content, field=field)
    return CheckedUpload(
        content=content,
        content_type=mime,
        extension=allowed[mime],
        original_name=safe_display_name(upload.name or "file"),
    )


def _check_image(content: bytes, *, field: str) -> None:
    try:
        with Image.open(io.BytesIO(content)) as img:
            width, height = img.size
            if width * height > MAX_IMAGE_PIXELS:
                raise Invalid("The image has too many pixels.", code="image_too_large", field=field)
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError) as exc:
        raise Invalid("The image could not be read.", code="image_invalid", field=field) from exc


def reencode_image(content: bytes, *, max_side: int, square: bool = False) -> ContentFile[bytes]:
    """Decode and re-encode as WebP (drops metadata and anything appended to the file)."""
    with Image.open(io.BytesIO(content)) as img:
        img.seek(0)
        rgb = img.convert("RGBA" if img.mode in {"RGBA", "LA", "P"} else "RGB")
    if square:
        side = min(rgb.size)
        left = (rgb.width - side) // 2
        top = (rgb.height - side) // 2
        rgb = rgb.crop((left, top, left + side, top + side))
    rgb.thumbnail((max_side, max_side))
    out = io.BytesIO()
    rgb.save(out, format="WEBP", quality=85)
    return ContentFile(out.getvalue())
