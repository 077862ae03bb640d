"""跟进与关爱服务 endpoints."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["care"])
