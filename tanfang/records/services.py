"""Recording a visit on its form, reviewing flagged visits, loading form templates.

`submit_record` is the one way a visit with its record is stored: everything is checked first,
then the visit, its record (with a snapshot of the registry as the visit left it, for its printed
form: `records.snapshot`), photos and registry corrections are written in one transaction, so
a bad field stores nothing. The client's id makes a retried submission return the first one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.services import new_event, record_event, record_events
from tanfang.care import rules as follow_up_rules
from tanfang.care.rules import Rule, evaluate
from tanfang.care.services import VisitFindings, cancel_for_rejected_visit, open_follow_ups
from tanfang.core import images
from tanfang.core.errors import DomainError, FieldError, NotFound, PermissionDenied, ValidationFailed
from tanfang.core.generations import Cached, bump
from tanfang.core.roles import Permission, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.time import LOCAL_TZ, local_date, now
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.models import Elder
from tanfang.elders.services import correct_from_visit
from tanfang.notifications.services import notify_user
from tanfang.records import verification
from tanfang.records.formdefs import TemplateInvalid, check_answers, describe, parse_definition
from tanfang.records.models import FormTemplate, ReviewState, VisitPhoto, VisitRecord
from tanfang.records.snapshot import RegistrySnapshots
from tanfang.regions.models import Region
from tanfang.regions.paths import path_prefixes
from tanfang.schedule.closing import note_late_records, note_late_review
from tanfang.schedule.policies import current_policies
from tanfang.visitors.contact import phone_of
from tanfang.visitors.models import Visitor
from tanfang.visitors.selectors import own_visitors, was_paired
from tanfang.visits.models import Method, Outcome, Visit

FUTURE_TOLERANCE = dt.timedelta(minutes=5)
METHOD_LABELS = dict(Method.choices)


@dataclass(frozen=True)
class Checkin:
    at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: int | None = None


@dataclass
class RecordInput:
    """A visit as the visitor's phone (or a data-entry clerk) sends it."""

    client_id: uuid.UUID
    method: str
    occurred_at: dt.datetime
    outcome: str = Outcome.VISITED
    answers: dict[str, Any] = field(default_factory=dict)
    template_code: str = ""
    template_version: int | None = None
    note: str = ""
    minutes: int | None = None
    visitor_id: int | None = None  # data entry by an officer: whose visit it was
    checkin: Checkin | None = None
    visitor_signature: bytes | None = None
    elder_signature: bytes | None = None
    elder_unsigned_reason: str = ""
    entered_by_name: str = ""
    entry_signature: bytes | None = None
    photos: list[bytes] = field(default_factory=list)
    registry_confirmed: bool = False
    corrections: dict[str, Any] = field(default_factory=dict)
    set_home_location: bool = False


FORM_TEMPLATES = "form_templates"


class TemplateBook:
    """The active templates, parsed once; kept per process until a template changes (core.generations)."""

    def __init__(self) -> None:
        self.active = list(FormTemplate.objects.filter(active=True).order_by("code", "version"))
        for template in self.active:
            template.form  # noqa: B018 - parse now, once
        self._by_path: dict[str, FormTemplate | None] = {}

    def for_path(self, region_path: str) -> FormTemplate | None:
        """The nearest region's own (its own, then its parents'), else the one for everywhere; of
        several there, the newest."""
        if region_path not in self._by_path:
            prefixes = set(path_prefixes(region_path))
            candidates = [t for t in self.active if t.region_id is None or t.region_path in prefixes]
            self._by_path[region_path] = max(
                candidates, key=lambda t: (len(t.region_path), t.created_at, t.version), default=None
            )
        return self._by_path[region_path]

    def by_code(self, code: str, version: int | None) -> FormTemplate | None:
        rows = [t for t in self.active if t.code == code and (version is None or t.version == version)]
        return max(rows, key=lambda t: t.version, default=None)


_template_book = Cached(FORM_TEMPLATES, TemplateBook)


def template_for(region_path: str) -> FormTemplate:
    """The template used in a region (see `TemplateBook.for_path`), else the Henan form."""
    return _template_book.get().for_path(region_path) or default_template()


DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "form_templates" / "henan-2023.json"


def default_template() -> FormTemplate:
    """The Henan 2023 form, loaded from the package when no template for everywhere is left."""
    existing = FormTemplate.objects.filter(active=True, region__isnull=True).order_by("-version").first()
    if existing is not None:
        return existing
    return load_template(actor=None, document=json.loads(DEFAULT_TEMPLATE.read_text(encoding="utf-8")))


def _template(data: RecordInput, elder: Elder, errors: list[FieldError]) -> FormTemplate | None:
    if not data.template_code:
        return template_for(elder.region_path)
    template = _template_book.get().by_code(data.template_code, data.template_version)
    if template is None:
        errors.append(FieldError("template", _("表单模板不存在或已停用")))
    return template


def _who_visited(actor: Actor, elder: Elder, data: RecordInput, own: Visitor | None) -> Visitor | None:
    """Decide whose visit this is, or refuse: a paired visitor, or an officer entering a record."""
    if own is not None and data.visitor_id in (None, own.pk):
        return own
    in_scope = scope_of(actor).contains(elder.region_path)
    if in_scope and has_permission(actor.role, Permission.EDIT_ELDERS):
        if data.visitor_id is None:
            return None
        visitor = Visitor.objects.filter(pk=data.visitor_id, pairings__elder=elder).first()
        if visitor is None:
            raise ValidationFailed(errors=[FieldError("visitor_id", _("该探访人员未与这位老人结对"))])
        return visitor
    if in_scope or was_paired(actor, elder.pk):
        raise PermissionDenied(_("您没有与这位老人结对，不能记录对其的探访"))
    raise NotFound()


def _check_signature(value: bytes | None, name: str, errors: list[FieldError]) -> None:
    if value is None:
        return
    try:
        images.check_image(value, limit=images.MAX_SIGNATURE_BYTES, formats=images.SIGNATURE_FORMATS)
    except images.BadImage as error:
        errors.append(FieldError(name, _("签名：%(reason)s") % {"reason": error}))


def _home_visit(data: RecordInput) -> bool:
    return data.outcome == Outcome.VISITED and data.method == Method.HOME


def _check(data: RecordInput, elder: Elder, template: FormTemplate | None, errors: list[FieldError]) -> list[str]:
    """Check everything but the registry corrections; return the findings."""
    if data.method not in Method.values:
        errors.append(FieldError("method", _("探访方式不是有效的选项")))
    if data.outcome not in Outcome.values:
        errors.append(FieldError("outcome", _("结果不是有效的选项")))
    visited = data.outcome == Outcome.VISITED
    if visited and data.method in Method.values:
        allowed = current_policies().policy(elder.region_path).counted_methods
        if data.method not in allowed:
            errors.append(
                FieldError(
                    "method",
                    _("本地探访政策不认可“%(method)s”，可用：%(allowed)s")
                    % {
                        "method": METHOD_LABELS[data.method],
                        "allowed": "、".join(str(METHOD_LABELS[m]) for m in Method.values if m in allowed),
                    },
                )
            )
    if data.occurred_at.tzinfo is None:
        errors.append(FieldError("occurred_at", _("探访时间须带时区")))
    elif data.occurred_at > now() + FUTURE_TOLERANCE:
        errors.append(FieldError("occurred_at", _("探访时间不能晚于现在")))
    elif local_date(data.occurred_at) < elder.registered_on:
        errors.append(
            FieldError(
                "occurred_at",
                _("探访日期不能早于老人的登记日期（%(day)s）") % {"day": elder.registered_on.isoformat()},
            )
        )
    if data.minutes is not None and not 0 <= data.minutes <= 24 * 60:
        errors.append(FieldError("minutes", _("用时应在0到1440分钟之间")))
    if len(data.note) > 300:
        errors.append(FieldError("note", _("说明不能超过300字")))
    findings: list[str] = []
    if template is not None:
        checked = check_answers(template.form, data.answers, complete=visited)
        errors.extend(checked.errors)
        data.answers, findings = checked.answers, checked.findings
    if not visited and not data.note.strip() and data.outcome == Outcome.MOVED:
        errors.append(FieldError("note", _("老人已搬离时请说明去向或情况")))
    elif not visited and not data.note.strip() and data.outcome in Outcome.values:
        errors.append(FieldError("note", _("未能探访时请写明原因（如敲门无人应、住院的医院）")))
    if (
        visited
        and data.method == Method.HOME
        and data.elder_signature is None
        and not data.elder_unsigned_reason.strip()
    ):
        errors.append(FieldError("elder_signature", _("请老人签字，或填写老人未能签字的原因")))
    _check_signature(data.visitor_signature, "visitor_signature", errors)
    _check_signature(data.elder_signature, "elder_signature", errors)
    _check_signature(data.entry_signature, "entry_signature", errors)
    if len(data.photos) > images.MAX_PHOTOS:
        errors.append(FieldError("photos", _("照片最多%(n)s张") % {"n": images.MAX_PHOTOS}))
    for index, photo in enumerate(data.photos[: images.MAX_PHOTOS], start=1):
        try:
            images.check_image(photo, limit=images.MAX_PHOTO_BYTES, formats=images.PHOTO_FORMATS)
        except images.BadImage as error:
            errors.append(FieldError(f"photos.{index}", _("第%(n)s张照片：%(reason)s") % {"n": index, "reason": error}))
    checkin = data.checkin
    if checkin is not None:
        if (checkin.latitude is None) != (checkin.longitude is None):
            errors.append(FieldError("checkin", _("签到位置须同时有经度和纬度")))
        elif (
            checkin.latitude is not None
            and checkin.longitude is not None
            and not (-90 <= checkin.latitude <= 90 and -180 <= checkin.longitude <= 180)
        ):
            errors.append(FieldError("checkin", _("签到位置的经纬度超出范围")))
        if checkin.at is not None and checkin.at.tzinfo is None:
            errors.append(FieldError("checkin", _("签到时间须带时区")))
    if data.set_home_location and (checkin is None or checkin.latitude is None):
        errors.append(FieldError("set_home_location", _("没有签到位置，不能设为老人住址位置")))
    return findings


def _position(latitude: Any, longitude: Any) -> verification.Position | None:
    if latitude is None or longitude is None:
        return None
    return verification.Position(float(latitude), float(longitude))


def _signals(
    visit: Visit,
    record: VisitRecord,
    elder: Elder,
    photo_hashes: list[str],
    batch_places: dict[int, verification.Position | None],
    later: set[int],
) -> list[verification.Flag]:
    """Verification signals for a stored visit. Of a batch, `batch_places` has the check-in positions
    (their records are not written yet) and `later` the visits after this one, which it is not
    compared with: as when sent one by one, the second of two clashing visits is the one flagged."""
    position = _position(record.checkin_latitude, record.checkin_longitude)
    home = _position(elder.home_latitude, elder.home_longitude)
    rules = verification.Rules(**getattr(settings, "TANFANG_VERIFICATION", {}))
    others: list[verification.OtherVisit] = []
    if visit.visitor_id and visit.method == Method.HOME:
        window = dt.timedelta(minutes=rules.window_minutes)
        nearby = (
            Visit.objects.filter(
                visitor_id=visit.visitor_id,
                method=Method.HOME,
                outcome=Outcome.VISITED,
                occurred_at__range=(visit.occurred_at - window, visit.occurred_at + window),
            )
            .exclude(elder_id=elder.pk)
            .exclude(pk__in=later)
            .select_related("record", "elder")[:20]
        )
        for other in nearby:
            place = batch_places.get(other.pk)
            other_record = getattr(other, "record", None)
            if place is None and other_record is not None:
                place = _position(other_record.checkin_latitude, other_record.checkin_longitude)
            place = place or _position(other.elder.home_latitude, other.elder.home_longitude)
            others.append(verification.OtherVisit(other.pk, other.occurred_at, place))
    reused: list[int] = []
    if photo_hashes:
        exact = VisitPhoto.objects.filter(phash__in=photo_hashes).exclude(elder_id=elder.pk)
        reused = list(exact.values_list("visit_id", flat=True)[:10])
        if not reused and visit.visitor_id:
            since = now() - dt.timedelta(days=180)
            recent = VisitPhoto.objects.filter(visitor_id=visit.visitor_id, created_at__gte=since).exclude(
                elder_id=elder.pk
            )
            for other_id, other_hash in recent.values_list("visit_id", "phash")[:2000]:
                if any(images.hamming(other_hash, mine) <= 4 for mine in photo_hashes):
                    reused.append(other_id)
    facts = verification.VisitFacts(
        home_visit=visit.method == Method.HOME and visit.outcome == Outcome.VISITED,
        occurred_at=visit.occurred_at,
        submitted_at=record.submitted_at,
        checkin_at=record.checkin_at,
        position=position,
        home=home,
    )
    return verification.check(facts, others=others, reused_photo_visits=reused, rules=rules)


@dataclass
class Submitted:
    """What became of one record sent in a batch: stored, already stored, or refused with why."""

    client_id: uuid.UUID
    visit: Visit | None = None
    created: bool = False
    error: DomainError | None = None


@dataclass
class _Ready:
    """A checked record, waiting to be stored."""

    index: int
    elder: Elder
    data: RecordInput
    visitor: Visitor | None
    template: FormTemplate
    findings: list[str]
    photo_files: list[_PhotoFile] = field(default_factory=list)


MAX_BATCH = 50


def submit_record(*, actor: Actor, elder: Elder, data: RecordInput) -> tuple[Visit, bool]:
    """Store a visit (or an attempt) with its record once. Returns (visit, created).

    The same client id sent again returns the first visit and changes nothing.
    """
    (result,) = submit_records(actor=actor, items=[(elder, data)])
    if result.error is not None:
        raise result.error
    assert result.visit is not None
    return result.visit, result.created


def submit_records(*, actor: Actor, items: list[tuple[Elder, RecordInput]]) -> list[Submitted]:
    """Store several records at once, as a phone sends the ones it kept while offline.

    Each record stands alone: one that is refused stores nothing and does not stop the others; one
    whose client id is already stored (or came earlier in the batch) is returned as stored. The
    records that pass are written in one transaction with a statement per table, which is what
    makes a month-end upload cheap; the elders are passed in already checked as visible
    (`selectors.elders_for_visits`).
    """
    if len(items) > MAX_BATCH:
        raise ValidationFailed(errors=[FieldError("records", _("一次最多提交%(n)s条记录") % {"n": MAX_BATCH})])
    results = [Submitted(client_id=data.client_id) for _elder, data in items]
    stored = {v.client_id: v for v in Visit.objects.filter(client_id__in=[d.client_id for _e, d in items])}
    own = own_visitors(actor, [elder.pk for elder, _data in items])
    first_of: dict[uuid.UUID, int] = {}
    ready: list[_Ready] = []
    for index, (elder, data) in enumerate(items):
        result = results[index]
        try:
            existing = stored.get(data.client_id)
            earlier = first_of.setdefault(data.client_id, index)
            if existing is None and earlier != index:
                if items[earlier][0].pk != elder.pk:
                    raise ValidationFailed(errors=[FieldError("client_id", _("该记录编号已用于其他老人"))])
                continue  # a copy of an earlier record of this batch: answered with it, below
            if existing is not None:
                if existing.elder_id != elder.pk:
                    raise ValidationFailed(errors=[FieldError("client_id", _("该记录编号已用于其他老人"))])
                result.visit = existing
                continue
            ready.append(_checked(actor, index, elder, data, own.get(elder.pk)))
        except DomainError as error:
            result.error = error
    for item in _store(actor, ready):
        results[item.index] = item.result
    for index, (_elder, data) in enumerate(items):
        earlier = first_of[data.client_id]
        if earlier != index and results[index].visit is None and results[index].error is None:
            first = results[earlier]
            results[index] = Submitted(client_id=data.client_id, visit=first.visit, error=first.error)
    return results


def _checked(actor: Actor, index: int, elder: Elder, data: RecordInput, own: Visitor | None) -> _Ready:
    """Everything about one record checked, or the error that refuses it."""
    if elder.merged_into_id:
        raise NotFound()
    visitor = _who_visited(actor, elder, data, own)
    errors: list[FieldError] = []
    template = _template(data, elder, errors)
    findings = _check(data, elder, template, errors)
    in_person = own is not None and visitor is not None and visitor.pk == own.pk  # not a record entered for them
    if in_person and _home_visit(data) and data.visitor_signature is None:
        errors.append(FieldError("visitor_signature", _("上门探访请探访人员本人签字")))
    if errors:
        raise ValidationFailed(errors=errors)
    assert template is not None
    photo_files = [_photo_file(images.without_location(p)) for p in data.photos]
    return _Ready(index, elder, data, visitor, template, findings, photo_files)


@dataclass(frozen=True)
class _PhotoFile:
    sha256: str  # of the file as stored (without its EXIF location)
    phash: str
    content: bytes
    latitude: float | None
    longitude: float | None


def _photo_file(photo: images.Stripped) -> _PhotoFile:
    content = photo.content
    return _PhotoFile(
        hashlib.sha256(content).hexdigest(),
        images.difference_hash(content),
        content,
        photo.latitude,
        photo.longitude,
    )


@dataclass
class _Outcome:
    index: int
    result: Submitted


def _store(actor: Actor, ready: list[_Ready]) -> list[_Outcome]:
    """Write the checked records together; when a client id turns up stored meanwhile, one by one."""
    if not ready:
        return []
    try:
        with transaction.atomic():
            return _write(actor, ready)
    except IntegrityError:  # the same client id arrived at once from another request
        if len(ready) > 1:
            return [o for one in ready for o in _store(actor, [one])]
        one = ready[0]
        again = Visit.objects.filter(client_id=one.data.client_id).first()
        if again is None:
            raise
        if again.elder_id != one.elder.pk:
            error = ValidationFailed(errors=[FieldError("client_id", _("该记录编号已用于其他老人"))])
            return [_Outcome(one.index, Submitted(one.data.client_id, error=error))]
        return [_Outcome(one.index, Submitted(one.data.client_id, visit=again))]
    except ValidationFailed as error:  # a registry correction refused: only that record is refused
        if len(ready) > 1:
            return [o for one in ready for o in _store(actor, [one])]
        return [_Outcome(ready[0].index, Submitted(ready[0].data.client_id, error=error))]


def _write(actor: Actor, ready: list[_Ready]) -> list[_Outcome]:
    """Store checked records in the caller's transaction: visits, records and audit events one
    statement each; the elders locked (in id order) while their visits are numbered."""
    elder_ids = sorted({r.elder.pk for r in ready})
    locked = {e.pk: e for e in Elder.objects.select_for_update().filter(pk__in=elder_ids).order_by("pk")}
    tops = dict(
        VisitRecord.objects.filter(visit__elder_id__in=elder_ids)
        .values_list("visit__elder_id")
        .annotate(top=Max("number"))
        .values_list("visit__elder_id", "top")
    )
    received = now()
    recorder = actor if getattr(actor, "pk", None) else None
    visits: list[Visit] = []
    numbers: list[int | None] = []
    for item in ready:
        elder, data = locked[item.elder.pk], item.data
        number = None
        if data.outcome == Outcome.VISITED:
            number = (tops.get(elder.pk) or 0) + 1
            tops[elder.pk] = number
        numbers.append(number)
        visits.append(
            Visit(
                elder=elder,
                visitor=item.visitor,
                method=data.method,
                outcome=data.outcome,
                occurred_at=data.occurred_at,
                day=local_date(data.occurred_at),
                minutes=data.minutes if data.minutes is not None else _minutes(data, received),
                note=data.note.strip(),
                client_id=data.client_id,
                recorded_by=recorder,  # type: ignore[misc]
                region_id=elder.region_id,
                region_path=elder.region_path,
            )
        )
    Visit.objects.bulk_create(visits)  # sends no post_save, one record or fifty: the elders are queued here
    queue_due_refresh(elder_ids=elder_ids)
    places = {
        visit.pk: _position(item.data.checkin.latitude, item.data.checkin.longitude)
        for visit, item in zip(visits, ready, strict=True)
        if item.data.checkin is not None
    }
    later = {visit.pk for visit in visits}
    snapshots = RegistrySnapshots(elder_ids)  # sections 1–4 of each form, kept with its record (records.snapshot)
    records: list[VisitRecord] = []
    events: list[AuditEvent] = []
    outcomes: list[_Outcome] = []
    for visit, number, item in zip(visits, numbers, ready, strict=True):
        elder, data = locked[item.elder.pk], item.data
        checkin = data.checkin or Checkin()
        record = VisitRecord(
            visit=visit,
            template=item.template,
            number=number,
            answers=data.answers,
            findings=item.findings,
            registry_confirmed=data.registry_confirmed,
            checkin_at=checkin.at,
            checkin_latitude=_decimal(checkin.latitude),
            checkin_longitude=_decimal(checkin.longitude),
            checkin_accuracy_m=checkin.accuracy_m,
            submitted_at=received,
            visitor_signature=data.visitor_signature,
            elder_signature=data.elder_signature,
            elder_unsigned_reason=data.elder_unsigned_reason.strip()[:100],
            entered_by_name=data.entered_by_name.strip()[:50],
            entry_signature=data.entry_signature,
            region_id=elder.region_id,
            region_path=elder.region_path,
        )
        if data.corrections:
            try:
                changed = correct_from_visit(actor=actor, elder=elder, changes=data.corrections, visit_id=visit.pk)
            except ValidationFailed as error:
                raise ValidationFailed(
                    errors=[FieldError(f"corrections.{e.field}", e.message) for e in error.errors]
                ) from None
            record.corrections = sorted(changed)
        record.registry_snapshot = snapshots.of(elder.pk, corrected=bool(data.corrections))
        if data.set_home_location and checkin.latitude is not None and checkin.longitude is not None:
            _set_home(actor, elder, checkin, visit.pk)
        for file in item.photo_files:
            photo = VisitPhoto(
                visit=visit,
                elder_id=elder.pk,
                visitor_id=item.visitor.pk if item.visitor else None,
                sha256=file.sha256,
                phash=file.phash,
                size=len(file.content),
                latitude=file.latitude,
                longitude=file.longitude,
            )
            photo.image.save(f"{file.sha256}.jpg", ContentFile(file.content), save=False)
            photo.save()
        later.discard(visit.pk)
        flags = _signals(visit, record, elder, [f.phash for f in item.photo_files], places, later)
        record.flags = [f.as_dict() for f in flags]
        record.review_state = ReviewState.PENDING if flags else ReviewState.NONE
        records.append(record)
        events.append(
            new_event(
                actor=actor,
                action=Action.VISIT_RECORDED,
                subject=elder,
                details={
                    "visit": visit.pk,
                    "method": data.method,
                    "outcome": data.outcome,
                    "day": visit.day,
                    "number": number,
                    "template": str(item.template),
                    "findings": item.findings,
                    "flags": [f.code for f in flags],
                },
            )
        )
        outcomes.append(_Outcome(item.index, Submitted(data.client_id, visit=visit, created=True)))
    VisitRecord.objects.bulk_create(records)
    # The month's figures count flagged visits and reviews from the visit row (schedule sits below records).
    flagged = [r.visit_id for r in records if r.flags]
    if flagged:
        Visit.objects.filter(pk__in=flagged).update(flagged=True, review=ReviewState.PENDING)
    note_late_records(actor=actor, visits=visits)
    open_follow_ups(
        actor=actor,
        found=[_findings(visit, item) for visit, item in zip(visits, ready, strict=True)],
        audit_into=events,
    )
    record_events(events)
    return outcomes


def _findings(visit: Visit, item: _Ready) -> VisitFindings:
    return findings_of(visit, item.elder, item.template, item.data.answers)


def findings_of(visit: Visit, elder: Elder, template: FormTemplate, answers: dict[str, Any]) -> VisitFindings:
    """What a visit's answers call for, by the follow-up rules of its template (none for an attempt)."""
    if visit.outcome != Outcome.VISITED:
        return VisitFindings(visit=visit, elder=elder, openings=())
    rules = rules_of(template)
    form = template.form

    def described(code: str) -> str:
        found = form.item(code)
        return f"{found.label}：{describe(found, answers.get(code))}" if found else ""

    return VisitFindings(
        visit=visit,
        elder=elder,
        openings=evaluate(rules, answers, described),
        cleared=follow_up_rules.cleared(rules, answers),
    )


def rules_of(template: FormTemplate) -> tuple[Rule, ...]:
    """A template's follow-up rules; a version written before rules existed uses its code's newest rules
    (those whose items it has), so an old form still opens follow-ups."""
    if template.form.has_rules:
        return template.form.follow_ups
    newer = max(
        (t for t in _template_book.get().active if t.code == template.code and t.form.has_rules),
        key=lambda t: t.version,
        default=None,
    )
    if newer is None:
        return ()
    items = {i.code for i in template.form.items}
    return tuple(
        r
        for r in newer.form.follow_ups
        if all(c.item in items for c in (*r.when, *r.unless)) and (not r.each or r.each in items)
    )


def _minutes(data: RecordInput, received: dt.datetime) -> int | None:
    """Time spent, when the phone checked in: from check-in to submission, at most a day."""
    if data.checkin is None or data.checkin.at is None or data.checkin.at.tzinfo is None:
        return None
    spent = (received - data.checkin.at).total_seconds() / 60
    return round(spent) if 0 <= spent <= 24 * 60 else None


def _decimal(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, 6)))


def _set_home(actor: Actor, elder: Elder, checkin: Checkin, visit_id: int) -> None:
    old = (elder.home_latitude, elder.home_longitude)
    elder.home_latitude = _decimal(checkin.latitude)
    elder.home_longitude = _decimal(checkin.longitude)
    elder.save(update_fields=["home_latitude", "home_longitude", "updated_at"])
    record_event(
        actor=actor,
        action=Action.ELDER_UPDATED,
        subject=elder,
        changes={
            "home_location": {
                "old": [str(v) if v is not None else None for v in old],
                "new": [str(elder.home_latitude), str(elder.home_longitude)],
            }
        },
        details={"source": "visit", "visit": visit_id},
    )


# --- review ------------------------------------------------------------------------------


def review_record(*, actor: Actor, record: VisitRecord, outcome: str, note: str = "", method: str = "") -> VisitRecord:
    """Decide on a flagged visit: confirmed, corrected (its method) or rejected (it stops counting)."""
    if not has_permission(actor.role, Permission.REVIEW_VISITS) or not scope_of(actor).contains(record.region_path):
        raise NotFound()
    errors: list[FieldError] = []
    if outcome not in (ReviewState.CONFIRMED, ReviewState.CORRECTED, ReviewState.REJECTED):
        errors.append(FieldError("outcome", _("请选择审核结果")))
    if outcome == ReviewState.CORRECTED and method not in Method.values:
        errors.append(FieldError("method", _("更正时请选择实际的探访方式")))
    if outcome in (ReviewState.CORRECTED, ReviewState.REJECTED) and not note.strip():
        errors.append(FieldError("note", _("更正或不予认可时请写明理由")))
    if len(note) > 300:
        errors.append(FieldError("note", _("审核意见不能超过300字")))
    if errors:
        raise ValidationFailed(errors=errors)
    with transaction.atomic():
        locked = VisitRecord.objects.select_for_update().select_related("visit").get(pk=record.pk)
        visit = locked.visit
        changes: dict[str, Any] = {"review_state": {"old": locked.review_state, "new": outcome}}
        if outcome == ReviewState.CORRECTED and method != visit.method:
            changes["method"] = {"old": visit.method, "new": method}
            visit.method = method
        rejected = outcome == ReviewState.REJECTED
        if rejected != visit.rejected:
            changes["rejected"] = {"old": visit.rejected, "new": rejected}
            visit.rejected = rejected
        visit.review = outcome
        visit.save(update_fields=["method", "rejected", "review"])
        queue_due_refresh(elder_ids=[visit.elder_id])  # a corrected method or a rejection changes what counts
        note_late_review(actor=actor, visit=visit, outcome=outcome)
        locked.review_state = outcome
        locked.review_note = note.strip()
        locked.reviewed_by_id = actor.pk
        locked.reviewed_at = now()
        locked.save(update_fields=["review_state", "review_note", "reviewed_by", "reviewed_at"])
        record_event(
            actor=actor,
            action=Action.VISIT_REVIEWED,
            subject=visit.elder,
            changes=changes,
            details={"visit": visit.pk, "note": note.strip()},
        )
        if rejected:
            cancel_for_rejected_visit(actor=actor, visit=visit, reason=note.strip())
        if outcome != ReviewState.CONFIRMED:
            _tell_review(visit, outcome, note.strip(), locked.reviewed_at)
    return locked


def _tell_review(visit: Visit, outcome: str, note: str, at: dt.datetime) -> None:
    """Tell whoever made the visit (inbox, and the visitor's phone, as each chose) that a reviewer did not
    accept it as it was, and why."""
    day = visit.occurred_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d")
    if outcome == ReviewState.REJECTED:
        body = _("您 %(day)s 对 %(name)s 的探访未获认可，本月不计入：%(note)s") % {
            "day": day,
            "name": visit.elder.name,
            "note": note,
        }
    else:
        body = _("您 %(day)s 对 %(name)s 的探访已被更正为「%(method)s」：%(note)s") % {
            "day": day,
            "name": visit.elder.name,
            "method": Method(visit.method).label,
            "note": note,
        }
    visitor = visit.visitor
    visitor_user = visitor.user_id if visitor else None
    for user_id in sorted({u for u in (visit.recorded_by_id, visitor_user) if u is not None}):
        # by the channels the user chose; an SMS to the visitor's own number
        phone, label = (phone_of(visitor), visitor.name) if visitor and user_id == visitor_user else ("", "")
        notify_user(
            key=f"review:{visit.pk}:{outcome}:{at.isoformat()}:{user_id}",
            user_id=user_id,
            phone=phone,
            label=label,
            body=body,
            link=reverse("records:detail", args=[visit.pk]),
            region_path=visit.region_path,
        )


# --- templates ---------------------------------------------------------------------------


def load_template(*, actor: Actor | None, document: Any, region: Region | None = None) -> FormTemplate:
    """Add a template, or a new version of one (versions are never changed once stored)."""
    try:
        form = parse_definition(document)
    except TemplateInvalid as error:
        raise ValidationFailed(errors=[FieldError("definition", str(error))]) from None
    with transaction.atomic():
        latest = FormTemplate.objects.select_for_update().filter(code=form.code).order_by("-version").first()
        if latest is not None and latest.definition == document and latest.region_id == (region.pk if region else None):
            return latest
        template = FormTemplate.objects.create(
            code=form.code,
            version=(latest.version + 1) if latest else 1,
            name=form.name,
            definition=document,
            region=region,
            region_path=region.path if region else "",
        )
        bump(FORM_TEMPLATES)  # every process reloads its templates (rolled back with the change)
        record_event(
            actor=actor,
            action=Action.FORM_TEMPLATE_LOADED,
            subject=template,
            region_path=region.path if region else None,
            details={"code": template.code, "version": template.version},
        )
    return template
