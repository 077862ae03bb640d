"""Signature and photo images: decoded, checked to be real images, hashed.

A perceptual hash (difference hash, 64 bits) stays the same when a photo is re-compressed or
resized, so one photo sent for two elders is found even when the files differ.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from dataclasses import dataclass

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_SIGNATURE_BYTES = 512 * 1024
MAX_PHOTO_BYTES = 8 * 1024 * 1024
MAX_PHOTOS = 6
MAX_PIXELS = 40_000_000
SIGNATURE_FORMATS = {"PNG", "JPEG", "WEBP"}
PHOTO_FORMATS = {"JPEG", "PNG", "WEBP", "HEIF", "MPO"}
DATA_URL = re.compile(r"^data:image/[a-z0-9.+-]+;base64,", re.IGNORECASE)


class BadImage(ValueError):
    """The bytes are not an image we accept; the message is for the user."""


@dataclass(frozen=True)
class CheckedImage:
    content: bytes
    format: str
    width: int
    height: int


def decode_base64(value: str, *, limit: int) -> bytes:
    """Bytes from a data URL ("data:image/png;base64,…") or plain base64; refuse more than `limit`."""
    text = DATA_URL.sub("", value.strip(), count=1)
    if len(text) * 3 // 4 > limit + 3:
        raise BadImage(_("图片不能超过%(mb)sMB") % {"mb": _megabytes(limit)})
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise BadImage(_("图片数据无法解码（应为 base64）")) from None


def _megabytes(limit: int) -> str:
    return f"{limit / 1024 / 1024:g}" if limit >= 1024 * 1024 else f"{limit / 1024 / 1024:.1f}"


def check_image(content: bytes, *, limit: int, formats: set[str]) -> CheckedImage:
    """Refuse anything too big, not an image, or of a format we do not take."""
    if len(content) > limit:
        raise BadImage(_("图片不能超过%(mb)sMB") % {"mb": _megabytes(limit)})
    if not content:
        raise BadImage(_("图片是空的"))
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > MAX_PIXELS:
                raise BadImage(_("图片像素过多"))
            image.verify()
            kind = (image.format or "").upper()
            width, height = image.width, image.height
    except BadImage:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadImage(_("不是有效的图片文件")) from None
    try:
        # verify() reads the headers only; a photo cut off in transfer fails when its pixels are decoded.
        with Image.open(io.BytesIO(content)) as image:
            image.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadImage(_("图片文件不完整或已损坏，请重新拍摄或选择")) from None
    if kind not in formats:
        raise BadImage(_("不支持该图片格式（%(format)s）") % {"format": kind or "?"})
    return CheckedImage(content=content, format=kind, width=width, height=height)


def difference_hash(content: bytes) -> str:
    """The 64-bit difference hash of an image, as 16 hex digits."""
    with Image.open(io.BytesIO(content)) as image:
        small = image.convert("L").resize((9, 8), Image.Resampling.LANCZOS)
        pixels = list(small.tobytes())  # one byte per pixel in mode L
    bits = 0
    for row in range(8):
        for col in range(8):
            left, right = pixels[row * 9 + col], pixels[row * 9 + col + 1]
            bits = (bits << 1) | (1 if left > right else 0)
    return f"{bits:016x}"


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


GPS_IFD = 0x8825  # the EXIF block that holds where a photo was taken


@dataclass(frozen=True)
class Stripped:
    content: bytes  # the photo without its EXIF location (the same bytes when it had none)
    latitude: float | None  # where the photo says it was taken, read before the location was removed
    longitude: float | None


def without_location(content: bytes) -> Stripped:
    """Read the photo's EXIF location, then remove it from the file; the rest of the EXIF (orientation, time)
    stays. A photo with no location is returned as it came. JPEG keeps its quantisation tables, so the
    picture is not compressed again at a lower quality."""
    with Image.open(io.BytesIO(content)) as image:
        exif = image.getexif()
        gps = dict(exif.get_ifd(GPS_IFD)) if GPS_IFD in exif else {}
        if not gps and GPS_IFD not in exif:
            return Stripped(content, None, None)
        latitude, longitude = _degrees(gps.get(2), gps.get(1)), _degrees(gps.get(4), gps.get(3))
        del exif[GPS_IFD]
        kind = (image.format or "").upper()
        out = io.BytesIO()
        if kind in ("JPEG", "MPO"):
            image.save(out, "JPEG", exif=exif.tobytes(), quality="keep", icc_profile=image.info.get("icc_profile"))
        elif kind in ("PNG", "WEBP"):
            image.save(out, kind, exif=exif.tobytes(), icc_profile=image.info.get("icc_profile"))
        else:  # a format Pillow cannot write back: stored as a JPEG
            image.convert("RGB").save(out, "JPEG", exif=exif.tobytes(), quality=90)
    return Stripped(out.getvalue(), latitude, longitude)


def _degrees(value: object, reference: object) -> float | None:
    """EXIF degrees, minutes, seconds and N/S or E/W as signed decimal degrees; None when unreadable."""
    try:
        d, m, s = (float(part) for part in value)  # type: ignore[attr-defined]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if not (0 <= degrees <= 180):
        return None
    return round(-degrees if str(reference).upper() in ("S", "W") else degrees, 6)


def reduced(content: bytes, *, longest: int = 640) -> bytes:
    """A small JPEG of a photo for pages (its longest side at most `longest` pixels), upright as the EXIF
    orientation says. JPEGs are decoded at a reduced scale, so a 12-megapixel photo costs little."""
    with Image.open(io.BytesIO(content)) as image:
        if image.format == "JPEG":
            image.draft("RGB", (longest, longest))
        small = ImageOps.exif_transpose(image).convert("RGB")
        small.thumbnail((longest, longest))
        out = io.BytesIO()
        small.save(out, "JPEG", quality=75, optimize=True)
    return out.getvalue()
