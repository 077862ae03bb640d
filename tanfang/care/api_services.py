"""Care-service and provider endpoints; added to the API beside `care.api`."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["care"])
