"""Month close (月结): each month's state for the user's province, and re-opening or closing it again.

Thin: parse, call one selector or service (schedule.figures, schedule.closing), render or redirect.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tanfang.core.errors import NotFound, ValidationFailed
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import actor_of
from tanfang.core.time import local_today
from tanfang.reports.dashboard import default_region_code
from tanfang.schedule.closing import close_month, grace_days, reopen_month
from tanfang.schedule.figures import figures_region_for, recent_months

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month(text: str) -> dt.date:
    match = _MONTH.match(text)
    if match is None:
        raise NotFound()
    return dt.date(int(match[1]), int(match[2]), 1)


def _region_code(request: HttpRequest) -> str:
    code = request.GET.get("region") or request.POST.get("region") or default_region_code(actor_of(request))
    if not code:
        raise NotFound()
    return code


@require_GET
def months(request: HttpRequest) -> HttpResponse:
    """The last thirteen months of a region's province: open, closed (with 补录 N) or re-opened."""
    actor = actor_of(request)
    code = _region_code(request)
    region = figures_region_for(actor, code)
    return render(
        request,
        "reports/months.html",
        {
            "region": region,
            "months": recent_months(actor, code, local_today()),
            "grace_days": grace_days(),
            "may_close": has_permission(actor.role, Permission.CLOSE_MONTHS),
        },
    )


def _back(code: str) -> HttpResponse:
    return redirect(f"{reverse('reports:months')}?region={code}")


@require_POST
def close(request: HttpRequest, month: str) -> HttpResponse:
    """Close a province's month (again): a new snapshot that counts the corrections so far."""
    code = _region_code(request)
    try:
        close_month(
            actor=actor_of(request), region_code=code, month=_month(month), reason=request.POST.get("reason", "")
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(month)s 已月结，统计数据已冻结") % {"month": month})
    return _back(code)


@require_POST
def reopen(request: HttpRequest, month: str) -> HttpResponse:
    """Re-open a closed month: the live figures show until it is closed again."""
    code = _region_code(request)
    try:
        reopen_month(
            actor=actor_of(request), region_code=code, month=_month(month), reason=request.POST.get("reason", "")
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(month)s 已重新打开，显示实时数据，请核实后重新月结") % {"month": month})
    return _back(code)
