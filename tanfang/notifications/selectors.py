"""Reads of notifications.

- The in-app inbox: a user sees its own messages only.
- The failed messages (发送失败的消息): officers see the messages of their region scope that failed
  or are being retried, with every attempt and the provider's answers, and may retry them.

Who sees the failed messages, and why: the roles that watch a region's work (VIEW_FIGURES) at
township level and above — province, city, county and township officers, and a supervisor
assigned at township level or above (it reads, it does not retry). Retrying is a write, and the
same act as chasing a visitor (催办, CHASE): province, city, county and township officers. Not the
three administrators (they never read what is said to elders' visitors), not visitors, and not
village workers (a village is too small a scope to watch a provider's failures from; their
township sees them). A message is inside a scope by its `region_path`; an empty scope sees nothing.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet

from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import Permission, RegionLevel, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.notifications.models import Attempt, InboxMessage, Notification
from tanfang.regions.paths import codes_of


def inbox_of(actor: Actor) -> QuerySet[InboxMessage]:
    """The actor's own messages, newest first."""
    return InboxMessage.objects.filter(user_id=actor.pk).order_by("-created_at", "-id")


def unread_count(actor: Actor) -> int:
    return InboxMessage.objects.filter(user_id=actor.pk, read_at__isnull=True).count()


# --- failed messages ----------------------------------------------------------------------------


def _at_township_or_above(actor: Actor) -> bool:
    paths = actor.region_paths()
    return bool(paths) and all(0 < len(codes_of(path)) <= RegionLevel.TOWNSHIP for path in paths)


def may_see_troubled_messages(actor: Actor) -> bool:
    """Whether the actor has the failed-messages page: VIEW_FIGURES, assigned at township level or above."""
    return actor.is_active and has_permission(actor.role, Permission.VIEW_FIGURES) and _at_township_or_above(actor)


def may_retry_messages(actor: Actor) -> bool:
    """Whether the actor may retry failed messages: CHASE, assigned at township level or above."""
    return actor.is_active and has_permission(actor.role, Permission.CHASE) and _at_township_or_above(actor)


def require_may_retry(actor: Actor) -> None:
    if not may_retry_messages(actor):
        raise PermissionDenied()


TROUBLED = Q(state=Notification.State.FAILED) | Q(state=Notification.State.PENDING, attempts__gt=0)


def retryable(moment: dt.datetime) -> QuerySet[Notification]:
    """Messages a retry may reset: failed or retrying, and not held by a sender right now."""
    return Notification.objects.filter(TROUBLED).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=moment))


def troubled_messages_visible_to(actor: Actor, *, state: str = "") -> QuerySet[Notification]:
    """Failed (and still-retrying) messages of the actor's scope, newest first, attempts at hand.

    `state` narrows to "failed" or "pending" (being retried). Nothing for an actor without the page.
    """
    if not may_see_troubled_messages(actor):
        return Notification.objects.none()
    rows = Notification.objects.filter(TROUBLED).filter(scope_of(actor).q("region_path"))
    if state in (Notification.State.FAILED, Notification.State.PENDING):
        rows = rows.filter(state=state)
    return rows.order_by("-id").prefetch_related(
        Prefetch("attempt_rows", queryset=Attempt.objects.order_by("at", "id"))
    )


def get_troubled_message_for(actor: Actor, notification_id: int) -> Notification:
    """One failed or retrying message of the actor's scope; NotFound for missing and out-of-scope alike."""
    found = troubled_messages_visible_to(actor).filter(pk=notification_id).first()
    if found is None:
        raise NotFound()
    return found
