"""Incident pages: open (the emergency button), the incident page with its calls and timeline, the list,
the archive PDF, and the township duty roster. Thin: parse, one service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tanfang.alerts.duty import add_shift, remove_shift
from tanfang.alerts.forms import CallForm, CloseForm, ShiftForm
from tanfang.alerts.models import CallAttempt, Incident
from tanfang.alerts.printing import render_incident
from tanfang.alerts.selectors import (
    duty_candidates,
    get_incident_for,
    get_shift_for,
    get_township_for_duty,
    incidents_visible_to,
    may_call,
    may_close,
    may_report,
    on_duty,
    shifts_of,
    townships_for_duty,
)
from tanfang.alerts.services import (
    EMERGENCY_NUMBERS,
    add_note,
    close_incident,
    log_call,
    number_to_call,
    open_incident,
)
from tanfang.core.errors import PermissionDenied, ValidationFailed
from tanfang.core.paging import page_number, page_of, query_without_page
from tanfang.core.roles import Permission, has_permission, reads_incidents
from tanfang.core.scope import actor_of
from tanfang.core.time import now

STATES = {"open": Incident.State.OPEN, "closed": Incident.State.CLOSED}
# Which emergency service comes first for each kind: the one that kind most needs.
SERVICE_ORDER = {
    Incident.Kind.FIRE_GAS: ("119", "120", "110"),
    Incident.Kind.MISSING: ("110", "120", "119"),
}
DEFAULT_ORDER = ("120", "110", "119")


@require_POST
def open_view(request: HttpRequest, elder_id: int) -> HttpResponse:
    """The emergency button: open an incident (or find the open one) and go to its page."""
    # An unknown kind raises ValidationFailed: the error page says so (422), nothing is stored.
    incident, created = open_incident(
        actor=actor_of(request),
        elder_id=elder_id,
        kind=request.POST.get("kind", ""),
        description=request.POST.get("description", ""),
    )
    if created:
        messages.warning(request, _("已报告紧急情况。请立即拨打急救电话和紧急联系人，并记录每次通话。"))
    else:
        messages.info(request, _("这位老人已有处理中的紧急事件，请在此继续处理"))
    return redirect("alerts:detail", incident_id=incident.pk)


def incident_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not reads_incidents(actor.role):
        raise PermissionDenied()
    incidents = incidents_visible_to(actor)
    state = request.GET.get("state", "")
    if state in STATES:
        incidents = incidents.filter(state=STATES[state])
    page = page_of(incidents, page=page_number(request.GET))
    return render(
        request,
        "alerts/list.html",
        {
            "page": page,
            "state": state,
            "states": [("", _("全部")), ("open", _("处理中")), ("closed", _("已结案"))],
            "query": query_without_page(request.GET),
            "can_duty": has_permission(actor.role, Permission.MANAGE_DUTY),
        },
    )


def _services(incident: Incident) -> list[tuple[str, str]]:
    order = SERVICE_ORDER.get(Incident.Kind(incident.kind), DEFAULT_ORDER)
    labels = {number: str(CallAttempt.Target(target).label) for target, number in EMERGENCY_NUMBERS.items()}
    return [(number, labels[number]) for number in order]


def incident_detail_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    elder = incident.elder
    contacts = list(elder.contacts.order_by("position", "id"))
    targets = [(number, label) for number, label in _services(incident)]
    if elder.phone_masked:
        targets.append(("elder", _("老人本人 %(phone)s") % {"phone": elder.phone_masked}))
    targets += [(f"contact:{c.pk}", f"{c.name}（{c.relation or '—'}）{c.phone_masked}") for c in contacts]
    targets.append(("other", _("其他号码")))
    return render(
        request,
        "alerts/detail.html",
        {
            "incident": incident,
            "elder": elder,
            "services": _services(incident),
            "contacts": contacts,
            "timeline": incident.timeline.select_related("call").all(),
            "can_report": incident.is_open and may_report(actor, elder),
            "can_call": may_call(actor, elder),
            "can_close": incident.is_open and may_close(actor, incident),
            "call_form": CallForm(),
            "targets": targets,
            "outcomes": CallAttempt.Outcome.choices,
            "close_form": CloseForm(),
        },
    )


class _TelRedirect(HttpResponseRedirect):
    allowed_schemes = ["tel"]


@require_GET
def call_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    """One tap to call the elder (`?to=elder`) or a contact (`?contact=<id>`): revealed, audited, then tel:."""
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    contact = request.GET.get("contact", "")
    if contact:
        if not contact.isdigit() or len(contact) > 18:
            return redirect("alerts:detail", incident_id=incident.pk)
        number = number_to_call(actor=actor, incident=incident, to="contact", contact_id=int(contact))
    else:
        number = number_to_call(actor=actor, incident=incident, to="elder")
    if not number:
        messages.error(request, _("没有登记电话号码"))
        return redirect("alerts:detail", incident_id=incident.pk)
    return _TelRedirect(f"tel:{number}")


@require_POST
def log_call_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    form = CallForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择拨打对象和通话结果"))
        return redirect("alerts:detail", incident_id=incident.pk)
    try:
        log_call(actor=actor, incident=incident, data=form.to_input())
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已记录通话"))
    return redirect("alerts:detail", incident_id=incident.pk)


@require_POST
def note_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    try:
        add_note(actor=actor, incident=incident, text=request.POST.get("text", ""))
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已记录"))
    return redirect("alerts:detail", incident_id=incident.pk)


@require_POST
def close_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    actor = actor_of(request)
    incident = get_incident_for(actor, incident_id)
    form = CloseForm(request.POST)
    form.is_valid()  # both fields are optional to the form: the service says what is missing
    try:
        close_incident(
            actor=actor,
            incident=incident,
            disposition=form.cleaned_data.get("disposition", ""),
            account=form.cleaned_data.get("account", ""),
        )
    except ValidationFailed as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("已结案，处置记录已归档"))
    return redirect("alerts:detail", incident_id=incident.pk)


@require_GET
def archive_pdf_view(request: HttpRequest, incident_id: int) -> HttpResponse:
    incident = get_incident_for(actor_of(request), incident_id)
    response = HttpResponse(render_incident(incident), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="incident-{incident.pk}.pdf"'
    return response


# --- duty rosters ------------------------------------------------------------------------------


def duty_home_view(request: HttpRequest) -> HttpResponse:
    """The townships whose rosters the actor keeps; straight to the roster when there is one."""
    actor = actor_of(request)
    if not has_permission(actor.role, Permission.MANAGE_DUTY):
        raise PermissionDenied()
    townships = list(townships_for_duty(actor)[:500])
    if len(townships) == 1:
        return redirect("alerts:duty", code=townships[0].code)
    return render(request, "alerts/duty_home.html", {"townships": townships})


@require_http_methods(["GET", "POST"])
def duty_view(request: HttpRequest, code: str) -> HttpResponse:
    actor = actor_of(request)
    township = get_township_for_duty(actor, code)
    candidates = [(u.pk, f"{u.display_name or u.username}（{u.role_label}）") for u in duty_candidates(township)]
    form = ShiftForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        try:
            add_shift(actor=actor, township=township, data=form.to_input())
        except ValidationFailed as error:
            form.add_service_errors(error)
        else:
            messages.success(request, _("已新增值班"))
            return redirect("alerts:duty", code=township.code)
    moment = now()
    return render(
        request,
        "alerts/duty.html",
        {
            "township": township,
            "form": form,
            "shifts": shifts_of(township, moment)[:200],
            "on_duty": on_duty(township, moment),
        },
    )


@require_POST
def duty_remove_view(request: HttpRequest, shift_id: int) -> HttpResponse:
    actor = actor_of(request)
    shift = get_shift_for(actor, shift_id)
    township = get_township_for_duty(actor, shift.region_id)
    remove_shift(actor=actor, shift=shift)
    messages.success(request, _("已删除值班"))
    return redirect("alerts:duty", code=township.code)
