"""The emergency button's question: may this user report an emergency for this elder, and is one open?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import template

from tanfang.alerts.models import Incident
from tanfang.alerts.selectors import may_report, open_incident_of
from tanfang.elders.models import Elder

register = template.Library()


@dataclass(frozen=True)
class Emergency:
    can_report: bool
    open_incident: Incident | None
    kinds: list[tuple[str, str]]


@register.simple_tag(takes_context=True)
def emergency_for(context: Any, elder: Elder) -> Emergency:
    """What the emergency button shows for an elder: nothing to a role that may not report."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if elder is None or user is None or not user.is_authenticated or not may_report(user, elder):
        return Emergency(False, None, [])
    return Emergency(True, open_incident_of(elder), [(k.value, str(k.label)) for k in Incident.Kind])
