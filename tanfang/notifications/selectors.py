"""Reads of the in-app inbox: a user sees its own messages only."""

from __future__ import annotations

from django.db.models import QuerySet

from tanfang.core.scope import Actor
from tanfang.notifications.models import InboxMessage


def inbox_of(actor: Actor) -> QuerySet[InboxMessage]:
    """The actor's own messages, newest first."""
    return InboxMessage.objects.filter(user_id=actor.pk).order_by("-created_at", "-id")


def unread_count(actor: Actor) -> int:
    return InboxMessage.objects.filter(user_id=actor.pk, read_at__isnull=True).count()
