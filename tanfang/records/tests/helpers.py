"""Ready-made record inputs and images for the records tests."""

from __future__ import annotations

import base64
import datetime as dt
import io
import uuid
from typing import Any

from PIL import Image

from tanfang.core.time import LOCAL_TZ, now
from tanfang.records.services import Checkin, RecordInput

JIANSHE = "410823001001"
FULL_ANSWERS: dict[str, Any] = {
    "household_members": "same",
    "speech": "same",
    "mobility": "worse",
    "illness": {"option": "serious", "text": "高血压"},
    "mental": "same",
    "housing": "safe",
    "electricity": "safe",
    "water_gas": "unsafe",
    "economy": "same",
    "family_support": "better",
    "daily_care": "same",
    "needs": "希望有人帮忙买药",
    "suggestions": "联系家庭医生",
}


def png(width: int = 60, height: int = 30, colour: tuple[int, int, int] = (0, 0, 0), pattern: int = 0) -> bytes:
    image = Image.new("RGB", (width, height), (255, 255, 255))
    for x in range(width):
        for y in range(height):
            if (x * (pattern + 1) + y) % 7 < 3:
                image.putpixel((x, y), colour)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg(seed: int, size: int = 64) -> bytes:
    image = Image.new("RGB", (size, size))
    for x in range(size):
        for y in range(size):
            image.putpixel((x, y), ((x * seed) % 256, (y * 3 * seed) % 256, ((x + y) * seed) % 256))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def daytime(hours_ago: int = 0) -> dt.datetime:
    """The latest 10:00 in Shanghai that is already past (minus some hours): never a night visit."""
    local = now().astimezone(LOCAL_TZ)
    moment = local.replace(hour=10, minute=0, second=0, microsecond=0)
    if moment > local:
        moment -= dt.timedelta(days=1)
    return moment - dt.timedelta(hours=hours_ago)


def record_input(**changes) -> RecordInput:
    values: dict[str, Any] = {
        "client_id": uuid.uuid4(),
        "method": "home",
        "occurred_at": daytime(),
        "answers": dict(FULL_ANSWERS),
        "checkin": Checkin(at=now() - dt.timedelta(minutes=30), latitude=35.1, longitude=113.4, accuracy_m=20),
        "elder_signature": png(),
        "visitor_signature": png(pattern=1),
    } | changes
    return RecordInput(**values)


def data_url(content: bytes, kind: str = "png") -> str:
    return f"data:image/{kind};base64," + base64.b64encode(content).decode()


def api_body(**changes: Any) -> dict[str, Any]:
    """A full home visit as the API takes it, with signatures and a photo."""
    return {
        "client_id": str(uuid.uuid4()),
        "method": "home",
        "occurred_at": daytime().isoformat(),
        "answers": FULL_ANSWERS,
        "checkin": {"at": (daytime() - dt.timedelta(minutes=25)).isoformat(), "latitude": 35.1, "longitude": 113.4},
        "signatures": {"elder": data_url(png()), "visitor": data_url(png(pattern=1))},
        "photos": [base64.b64encode(jpeg(3)).decode()],
    } | changes
