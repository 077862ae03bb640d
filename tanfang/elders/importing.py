"""Import elders from a roster file: preview → validate the whole file → commit all-or-nothing.

A row whose ID number is already registered adds its groups and source to that elder; a
value that disagrees with the registry (another name for the same ID number, another
village) becomes an ImportConflict for an officer to decide. Nothing is overwritten.
The file is read twice (validate, then commit) and never held in memory as objects.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.bulk import insert_instances
from tanfang.core.crypto import field_cipher
from tanfang.core.error_workbook import write_error_workbook
from tanfang.core.errors import FieldError, NotFound, ValidationFailed
from tanfang.core.id_numbers import mask_id_number, mask_phone
from tanfang.core.roles import Permission, RegionLevel, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.core.tabular import Table, TableFileError, TableRow, read_table
from tanfang.core.time import local_today, now
from tanfang.elders import import_presets as presets
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.elders.import_files import open_file, require_may_download_errors, seal_file
from tanfang.elders.import_presets import ImportField as F
from tanfang.elders.import_presets import Source
from tanfang.elders.inputs import ContactInput, ElderInput, GroupInput, check_elder_input
from tanfang.elders.models import (
    CERTIFICATE_CONTEXT,
    CONTACT_PHONE_CONTEXT,
    ID_NUMBER_CONTEXT,
    PHONE_CONTEXT,
    DisabilityType,
    Elder,
    ElderGroup,
    EmergencyContact,
    Group,
    GroupSource,
    ImportBatch,
    ImportConflict,
    ImportedRow,
    Status,
    StatusChange,
    Subsistence,
)
from tanfang.regions.models import Region
from tanfang.regions.scoping import get_region_for, require_permission
from tanfang.regions.selectors import county_name_unscoped, find_region_unscoped

CHUNK = 2000
# A roster of 100,000 elders is about 8 MB as .xlsx; anything much bigger is not a roster.
MAX_FILE_BYTES = 20 * 1024 * 1024
SHOWN_ERRORS = 500
_GROUP_NAMES = {str(label): value for value, label in Group.choices} | {
    "计生特殊家庭": Group.SPECIAL_FAMILY,
    "计划生育特殊困难家庭": Group.SPECIAL_FAMILY,
    "半失能": Group.DISABLED,
    "重度残疾": Group.SEVERELY_HANDICAPPED,
}
_GROUP_SPLIT = re.compile(r"[、,，;；/\s]+")
_SOURCE_OF = {
    Source.CIVIL_AFFAIRS: GroupSource.CIVIL_AFFAIRS,
    Source.HEALTH_COMMISSION: GroupSource.HEALTH_COMMISSION,
    Source.DISABLED_FEDERATION: GroupSource.DISABLED_FEDERATION,
    Source.CUSTOM: GroupSource.OTHER,
}
_GRADES = {
    "一级": 1,
    "二级": 2,
    "三级": 3,
    "四级": 4,
    "1": 1,
    "2": 2,
    "3": 3,
    "4": 4,
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
}
_DISABILITY_TYPES = {str(label): value for value, label in DisabilityType.choices if value} | {
    f"{label}残疾": value for value, label in DisabilityType.choices if value
}
_YES = {"是", "y", "yes", "1", "true", "一致"}
_NO = {"否", "n", "no", "0", "false", "不一致", "人户分离"}
_SUBSISTENCE = {"低保": Subsistence.MINIMUM, "特困": Subsistence.EXTREME_POVERTY, "低保边缘": Subsistence.MARGINAL}
_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_LONG_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{7,}[Xx]?(?![0-9A-Za-z])")


def _mask_number(match: re.Match[str]) -> str:
    number = match[0]
    if len(number) == 12 and number.isdigit() and not number.startswith("0"):
        return number  # a village code: public, and what the message is about
    return mask_id_number(number) if len(number) >= 15 else mask_phone(number)


def mask_numbers(text: str) -> str:
    """Mask every run of 7 or more digits that could be an ID or phone number; village codes stay."""
    return _LONG_NUMBER.sub(_mask_number, text)


@dataclass(frozen=True)
class RowProblem:
    line: int
    column: str
    message: str

    def __post_init__(self) -> None:
        # A message may quote the file: a village-code column holding ID numbers, say. What a
        # batch keeps and shows of its errors must hold no full ID or phone number.
        object.__setattr__(self, "column", mask_numbers(self.column))
        object.__setattr__(self, "message", mask_numbers(self.message))

    def __str__(self) -> str:
        return _("第%(line)d行 %(column)s: %(message)s") % {
            "line": self.line,
            "column": self.column,
            "message": self.message,
        }


@dataclass
class ParsedRow:
    line: int
    data: ElderInput
    supplied: list[str]
    index: str = ""


@dataclass
class Check:
    """What validating a whole file found."""

    row_count: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    new: int = 0
    matched: int = 0
    conflicts: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems and self.row_count > 0


def _parse_date(text: str) -> dt.date | None:
    match = _DATE.match(text.strip())
    if not match:
        raise ValueError
    return dt.date(int(match[1]), int(match[2]), int(match[3]))


class _RowReader:
    """Turns one file row into an ElderInput, collecting per-column problems."""

    def __init__(self, column_map: presets.ColumnMap, source: Source) -> None:
        self.column_map = column_map
        self.source = source

    def column(self, key: str) -> str:
        return self.column_map.column_name(F(key))

    def read(self, row: TableRow) -> tuple[ParsedRow, list[RowProblem]]:
        values = presets.row_values(self.column_map, row)
        problems: list[RowProblem] = []

        def bad(key: str, message: str) -> None:
            problems.append(RowProblem(row.line, self.column(key), message))

        text = lambda key: (values.get(key) or "").strip()  # noqa: E731
        data = ElderInput(
            name=text(F.NAME),
            id_number=text(F.ID_NUMBER),
            village_code=text(F.VILLAGE_CODE),
            phone=text(F.PHONE),
            address=text(F.ADDRESS),
            note=text(F.NOTE),
        )
        sex = text(F.SEX)
        if sex:
            data.sex = {"男": "M", "女": "F", "m": "M", "f": "F"}.get(sex.lower(), "?")
            if data.sex == "?":
                bad(F.SEX, _("性别应为“男”或“女”"))
                data.sex = ""
        lives = text(F.LIVES_AT_REGISTRATION).lower()
        if lives:
            if lives in _YES:
                data.lives_at_registration = True
            elif lives in _NO:
                data.lives_at_registration = False
            else:
                bad(F.LIVES_AT_REGISTRATION, _("应填“是”或“否”"))
        data.registered_region_code = text(F.REGISTERED_VILLAGE_CODE)
        if data.registered_region_code and lives == "":
            data.lives_at_registration = data.registered_region_code == data.village_code
        since = None
        if text(F.GROUP_SINCE):
            try:
                since = _parse_date(text(F.GROUP_SINCE))
            except ValueError:
                bad(F.GROUP_SINCE, _("日期格式应为 YYYY-MM-DD"))
        group_source = _SOURCE_OF[self.source]
        groups: list[str] = []
        for name in filter(None, _GROUP_SPLIT.split(text(F.GROUPS))):
            if name in ("高龄", "无"):
                continue  # 高龄 is derived from age, never stored
            if name not in _GROUP_NAMES:
                bad(
                    F.GROUPS,
                    _("“%(name)s”不是特殊困难类别（独居、空巢、留守、失能、重残、计划生育特殊家庭）") % {"name": name},
                )
                continue
            groups.append(_GROUP_NAMES[name])
        if self.source == Source.HEALTH_COMMISSION:
            groups.append(Group.SPECIAL_FAMILY)
        grade_text = text(F.DISABILITY_GRADE).replace("级", "级")
        if grade_text:
            grade = _GRADES.get(grade_text)
            if grade is None:
                bad(F.DISABILITY_GRADE, _("残疾等级应为一级至四级"))
            data.disability_grade = grade
            if self.source == Source.DISABLED_FEDERATION and grade in (1, 2):
                groups.append(Group.SEVERELY_HANDICAPPED)
        kind = text(F.DISABILITY_TYPE)
        if kind:
            if kind not in _DISABILITY_TYPES:
                bad(F.DISABILITY_TYPE, _("残疾类别应为视力、听力、言语、肢体、智力、精神或多重"))
            data.disability_type = _DISABILITY_TYPES.get(kind, "")
        data.disability_certificate = text(F.DISABILITY_CERTIFICATE)
        subsistence = text(F.SUBSISTENCE)
        if subsistence and subsistence not in ("无", "否"):
            if subsistence not in _SUBSISTENCE:
                bad(F.SUBSISTENCE, _("应填“低保”“特困”“低保边缘”或“无”"))
            data.subsistence = _SUBSISTENCE.get(subsistence, "")
        score = text(F.ABILITY_SCORE)
        if score:
            try:
                data.ability_score = int(Decimal(score))
            except (InvalidOperation, ValueError):
                bad(F.ABILITY_SCORE, _("应为0到90之间的整数"))
        data.groups = [GroupInput(group=g, source=group_source, since=since) for g in dict.fromkeys(groups)]
        if text(F.EMERGENCY_NAME) or text(F.EMERGENCY_PHONE):
            data.contacts = [
                ContactInput(
                    name=text(F.EMERGENCY_NAME) or _("紧急联系人"),
                    relation=text(F.EMERGENCY_RELATION),
                    phone=text(F.EMERGENCY_PHONE),
                )
            ]
        supplied = [key for key, value in values.items() if value.strip()]
        return ParsedRow(line=row.line, data=data, supplied=supplied), problems


_SERVICE_FIELD_TO_COLUMN = {
    "name": F.NAME,
    "id_number": F.ID_NUMBER,
    "sex": F.SEX,
    "birth_date": F.ID_NUMBER,
    "village_code": F.VILLAGE_CODE,
    "phone": F.PHONE,
    "phone2": F.PHONE,
    "registered_region_code": F.REGISTERED_VILLAGE_CODE,
    "disability_certificate": F.DISABILITY_CERTIFICATE,
    "disability_grade": F.DISABILITY_GRADE,
    "ability_score": F.ABILITY_SCORE,
    "groups": F.GROUPS,
    "contacts": F.EMERGENCY_PHONE,
}


class _Validator:
    """Validates rows chunk by chunk against the database and the rest of the file."""

    def __init__(self, actor: Actor, reader: _RowReader, today: dt.date) -> None:
        self.actor = actor
        self.reader = reader
        self.today = today
        self.scope = scope_of(actor)
        self.cipher = field_cipher()
        self.seen: dict[str, int] = {}  # blind index → first line
        self.villages: dict[str, Region | None] = {}

    def village(self, code: str) -> Region | None:
        if code not in self.villages:
            self.villages[code] = find_region_unscoped(code)  # public codes: the message says which problem
        return self.villages[code]

    def check_chunk(self, rows: list[TableRow]) -> tuple[list[ParsedRow], list[RowProblem], dict[str, Elder]]:
        parsed: list[ParsedRow] = []
        problems: list[RowProblem] = []
        for row in rows:
            item, row_problems = self.reader.read(row)
            for error in check_elder_input(item.data, today=self.today):
                row_problems.append(RowProblem(row.line, self.reader.column(_column_for(error)), error.message))
            if item.data.citizen_id is not None:
                item.index = self.cipher.blind_index(item.data.citizen_id.number, context=ID_NUMBER_CONTEXT)
                first = self.seen.get(item.index)
                if first is not None:
                    row_problems.append(
                        RowProblem(
                            row.line,
                            self.reader.column(F.ID_NUMBER),
                            _("与第%(line)d行的公民身份号码重复") % {"line": first},
                        )
                    )
                else:
                    self.seen[item.index] = row.line
            code = item.data.village_code
            if code:
                region = self.village(code)
                if region is None or region.level != RegionLevel.VILLAGE:
                    row_problems.append(
                        RowProblem(
                            row.line,
                            self.reader.column(F.VILLAGE_CODE),
                            _("区划代码 %(code)s 不是已知的村（社区）") % {"code": code},
                        )
                    )
                elif not self.scope.contains(region.path):
                    row_problems.append(
                        RowProblem(
                            row.line,
                            self.reader.column(F.VILLAGE_CODE),
                            _("区划代码 %(code)s 不在您的辖区内") % {"code": code},
                        )
                    )
            if row_problems:
                problems.extend(row_problems)
            else:
                parsed.append(item)
        indexes = [p.index for p in parsed]
        existing = {
            e.id_number_index: e for e in Elder.objects.filter(id_number_index__in=indexes).select_related("region")
        }
        for item in parsed:
            elder = existing.get(item.index)
            if elder is not None and not self.scope.contains(elder.region_path):
                county = county_name_unscoped(elder.region_path)
                problems.append(
                    RowProblem(
                        item.line,
                        self.reader.column(F.ID_NUMBER),
                        _("此人已在其他地区登记（%(place)s），请联系该县（市、区）民政部门")
                        % {"place": county or _("其他地区")},
                    )
                )
        return parsed, problems, existing


def _column_for(error: FieldError) -> str:
    return _SERVICE_FIELD_TO_COLUMN.get(error.field, F.NOTE)


def _conflicts(elder: Elder, item: ParsedRow) -> list[tuple[str, str, str]]:
    """(field, registry value, file value) for each disagreement an officer must decide.

    Phone numbers are not compared: a second number is common and never replaces the first.
    """
    found = []
    if item.data.name and item.data.name != elder.name:
        found.append(("name", elder.name, item.data.name))
    if item.data.village_code and item.data.village_code != elder.region_id:
        found.append(("village_code", elder.region_id, item.data.village_code))
    if item.data.address and elder.address and item.data.address != elder.address:
        found.append(("address", elder.address, item.data.address))
    return found


def _open(batch_or_bytes: bytes, file_name: str) -> Table:
    try:
        return read_table(batch_or_bytes, file_name, max_bytes=MAX_FILE_BYTES)
    except TableFileError as error:
        raise ValidationFailed(errors=[FieldError("file", error.message)]) from None


def _column_map(table: Table, source: Source, custom: Mapping[str, str] | None) -> presets.ColumnMap:
    try:
        return presets.map_columns(table.headers, source, custom)
    except presets.ColumnMapError as error:
        raise ValidationFailed(errors=[FieldError("file", message) for message in error.messages]) from None


def _chunks(rows: Iterator[TableRow]) -> Iterator[list[TableRow]]:
    chunk: list[TableRow] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def check_file(actor: Actor, table: Table, column_map: presets.ColumnMap, source: Source) -> Check:
    """Validate every row; say what a commit would do. Writes nothing."""
    validator = _Validator(actor, _RowReader(column_map, source), local_today())
    check = Check()
    for chunk in _chunks(table.rows()):
        check.row_count += len(chunk)
        parsed, problems, existing = validator.check_chunk(chunk)
        check.problems.extend(problems)
        for item in parsed:
            elder = existing.get(item.index)
            if elder is None:
                check.new += 1
            else:
                check.matched += 1
                check.conflicts += bool(_conflicts(elder, item))
    if check.row_count == 0:
        check.problems.append(RowProblem(table.header_line, _("文件"), _("文件中没有数据行")))
    return check


def _source(value: str) -> Source:
    try:
        return Source(value)
    except ValueError:
        raise ValidationFailed(errors=[FieldError("source", _("数据来源不是有效的选项"))]) from None


def preview_import(
    *, actor: Actor, content: bytes, file_name: str, source: str, custom_mapping: Mapping[str, str] | None = None
) -> ImportBatch:
    """Read and validate a whole file and keep it as a batch to commit later. Changes no elder."""
    require_permission(actor, Permission.IMPORT_ELDERS)
    kind = _source(source)
    table = _open(content, file_name)
    column_map = _column_map(table, kind, custom_mapping)
    check = check_file(actor, table, column_map, kind)
    paths = scope_of(actor).paths
    region = Region.objects.filter(path=paths[0]).first() if paths else None
    if region is None:
        raise NotFound()
    with transaction.atomic():
        batch = ImportBatch.objects.create(
            region=region,
            region_path=region.path,
            source=kind.value,
            file_name=file_name[:200],
            file_sha256=hashlib.sha256(content).hexdigest(),
            content_cipher=seal_file(content),
            column_mapping=dict(custom_mapping or {}),
            state=ImportBatch.State.PREVIEWED if check.ok else ImportBatch.State.INVALID,
            row_count=check.row_count,
            error_count=len(check.problems),
            errors=[{"line": p.line, "column": p.column, "message": p.message} for p in check.problems[:SHOWN_ERRORS]],
            summary={"new": check.new, "matched": check.matched, "conflicts": check.conflicts},
            created_by=actor,  # type: ignore[misc]  # an Actor is a User at run time
        )
        record_event(
            actor=actor,
            action=Action.IMPORT_PREVIEWED,
            subject=batch,
            subject_label=batch.file_name,
            details={"rows": check.row_count, "errors": len(check.problems), "source": kind.value},
        )
    return batch


def batches_visible_to(actor: Actor) -> Any:
    return ImportBatch.objects.filter(scope_of(actor).q("region_path"))


def get_batch_for(actor: Actor, batch_id: int) -> ImportBatch:
    """An import batch of the actor's scope, for a role that imports; NotFound for anything else."""
    if not has_permission(actor.role, Permission.IMPORT_ELDERS):
        raise NotFound()
    try:
        return batches_visible_to(actor).get(pk=batch_id)
    except ImportBatch.DoesNotExist:
        raise NotFound() from None


def get_conflict_for(actor: Actor, conflict_id: int) -> ImportConflict:
    """A conflict about an elder of the actor's scope; NotFound for anything else."""
    conflict = ImportConflict.objects.select_related("elder").filter(pk=conflict_id).first()
    if conflict is None or not scope_of(actor).contains(conflict.elder.region_path):
        raise NotFound()
    return conflict


@dataclass
class CommitResult:
    created: int = 0
    matched: int = 0
    groups_added: int = 0
    conflicts: int = 0


def commit_import(*, actor: Actor, batch: ImportBatch) -> CommitResult:
    """Validate the batch's file again and apply it in one transaction, or change nothing.

    The file is deleted in the same transaction. A batch already committed, or whose file the
    daily purge has deleted, raises ValidationFailed.
    """
    require_permission(actor, Permission.IMPORT_ELDERS)
    if not scope_of(actor).contains(batch.region_path):
        raise NotFound()
    kind = _source(batch.source)
    result = CommitResult()
    with transaction.atomic():
        locked = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.state == ImportBatch.State.COMMITTED:
            raise ValidationFailed(errors=[FieldError("batch", _("该批次已导入，不能重复提交"))])
        table = _open(open_file(locked), locked.file_name)
        column_map = _column_map(table, kind, locked.column_mapping or None)
        # The file is validated again as it is applied: the registry may have changed since the
        # preview. Any problem raises inside the transaction, so nothing of the file stays.
        validator = _Validator(actor, _RowReader(column_map, kind), local_today())
        rows = 0
        for chunk in _chunks(table.rows()):
            rows += len(chunk)
            parsed, problems, existing = validator.check_chunk(chunk)
            if problems:
                raise ValidationFailed(
                    errors=[FieldError("file", str(p)) for p in problems[:SHOWN_ERRORS]],
                    summary=_("文件有错误，未导入任何数据：%(first)s") % {"first": problems[0]},
                )
            _apply_chunk(validator, locked, parsed, existing, result)
        if rows == 0:
            raise ValidationFailed(errors=[FieldError("file", _("文件中没有数据行"))])
        moment = now()
        locked.state = ImportBatch.State.COMMITTED
        locked.committed_at = moment
        locked.summary = {**locked.summary, **vars(result)}
        locked.content_cipher, locked.file_deleted_at = None, moment  # applied: the file is no longer needed
        locked.save(update_fields=["state", "committed_at", "summary", "content_cipher", "file_deleted_at"])
        record_event(
            actor=actor,
            action=Action.IMPORT_COMMITTED,
            subject=locked,
            subject_label=locked.file_name,
            changes={"file_deleted_at": {"old": None, "new": moment}},
            details=vars(result) | {"source": kind.value, "rows": rows},
        )
    return result


def _apply_chunk(
    validator: _Validator, batch: ImportBatch, parsed: list[ParsedRow], existing: dict[str, Elder], result: CommitResult
) -> None:
    cipher = field_cipher()
    today = local_today()
    new_items = [p for p in parsed if p.index not in existing]
    elders: list[Elder] = []
    for item in new_items:
        data, citizen = item.data, item.data.citizen_id
        assert citizen is not None
        village = validator.village(data.village_code)
        assert village is not None
        registered = None
        if not data.lives_at_registration and data.registered_region_code:
            registered = find_region_unscoped(data.registered_region_code)  # registered anywhere in China
        elders.append(
            Elder(
                name=data.name,
                sex=str(citizen.sex),
                birth_date=citizen.birth_date,
                id_number_cipher=cipher.encrypt(citizen.number, context=ID_NUMBER_CONTEXT),
                id_number_index=item.index,
                id_number_masked=mask_id_number(citizen.number),
                phone_cipher=cipher.encrypt(data.phone, context=PHONE_CONTEXT) if data.phone else None,
                phone_index=cipher.blind_index(data.phone, context=PHONE_CONTEXT) if data.phone else "",
                phone_masked=mask_phone(data.phone),
                address=data.address,
                lives_at_registration=data.lives_at_registration if registered else True,
                registered_region=registered,
                disability_certificate_cipher=(
                    cipher.encrypt(data.disability_certificate, context=CERTIFICATE_CONTEXT)
                    if data.disability_certificate
                    else None
                ),
                disability_certificate_masked=mask_id_number(data.disability_certificate)
                if data.disability_certificate
                else "",
                disability_grade=data.disability_grade,
                disability_type=data.disability_type,
                ability_score=data.ability_score,
                subsistence=data.subsistence,
                note=data.note,
                status=Status.ACTIVE,
                status_since=today,
                registered_on=today,
                region=village,
                region_path=village.path,
            )
        )
    insert_instances(Elder, elders)
    result.created += len(elders)
    by_index = {e.id_number_index: e for e in elders} | existing
    groups: list[ElderGroup] = []
    contacts: list[EmergencyContact] = []
    rows: list[ImportedRow] = []
    conflicts: list[ImportConflict] = []
    statuses: list[StatusChange] = []
    have = set(ElderGroup.objects.filter(elder__in=list(existing.values())).values_list("elder_id", "group", "source"))
    have_contacts = set(
        EmergencyContact.objects.filter(elder__in=list(existing.values())).values_list("elder_id", flat=True)
    )
    for item in parsed:
        elder = by_index[item.index]
        created = item.index not in existing
        for membership in item.data.groups or []:
            key = (elder.pk, membership.group, membership.source)
            if key not in have:
                have.add(key)
                groups.append(
                    ElderGroup(
                        elder=elder,
                        group=membership.group,
                        source=membership.source,
                        since=membership.since,
                        import_batch=batch,
                        import_line=item.line,
                    )
                )
        if item.data.contacts and (created or elder.pk not in have_contacts):
            contact = item.data.contacts[0]
            contacts.append(
                EmergencyContact(
                    elder=elder,
                    position=1,
                    name=contact.name,
                    relation=contact.relation,
                    phone_cipher=cipher.encrypt(contact.phone, context=CONTACT_PHONE_CONTEXT)
                    if contact.phone
                    else None,
                    phone_masked=mask_phone(contact.phone),
                )
            )
        if created:
            statuses.append(StatusChange(elder=elder, status=Status.ACTIVE, since=today, note=batch.file_name[:200]))
        else:
            result.matched += 1
            for label, current, incoming in _conflicts(elder, item):
                conflicts.append(
                    ImportConflict(
                        batch=batch,
                        line=item.line,
                        elder=elder,
                        field=label,
                        current_value=current[:200],
                        incoming_value=incoming[:200],
                    )
                )
        rows.append(ImportedRow(batch=batch, line=item.line, elder=elder, created=created, fields=item.supplied))
    insert_instances(ElderGroup, groups)
    insert_instances(EmergencyContact, contacts)
    insert_instances(StatusChange, statuses)
    insert_instances(ImportConflict, conflicts)
    insert_instances(ImportedRow, rows)
    # New elders, and known ones with a new group, owe something new.
    queue_due_refresh(elder_ids={e.pk for e in elders} | {g.elder_id for g in groups})
    result.groups_added += len(groups)
    result.conflicts += len(conflicts)


def error_workbook(batch: ImportBatch) -> bytes:
    """The batch's file with every bad row marked (see `download_error_workbook` for who gets it)."""
    kind = _source(batch.source)
    table = _open(open_file(batch), batch.file_name)
    column_map = _column_map(table, kind, batch.column_mapping or None)
    actor = batch.created_by
    check = check_file(actor, table, column_map, kind)
    errors: dict[int, list[tuple[str, str]]] = {}
    for problem in check.problems:
        errors.setdefault(problem.line, []).append((problem.column, problem.message))
    return write_error_workbook(table.headers, table.rows(), errors)


def download_error_workbook(*, actor: Actor, batch: ImportBatch) -> bytes:
    """Return the batch's file with every bad row marked, to fix and upload again; audited.

    It holds every row in full, so only the user who uploaded it gets it, and only while the file
    is kept: anyone else is refused with PermissionDenied (and the refusal audited), a deleted
    file raises ValidationFailed. NotFound outside the actor's scope.
    """
    require_permission(actor, Permission.IMPORT_ELDERS)
    if not scope_of(actor).contains(batch.region_path):
        raise NotFound()
    require_may_download_errors(actor, batch)
    workbook = error_workbook(batch)
    with transaction.atomic():
        record_event(
            actor=actor,
            action=Action.IMPORT_ERRORS_DOWNLOADED,
            subject=batch,
            subject_label=batch.file_name,
            details={"batch": batch.pk, "errors": batch.error_count},
        )
    return workbook


def decide_conflict(*, actor: Actor, conflict: ImportConflict, replace: bool) -> None:
    """Record an officer's decision on a conflicting value; replacing writes the file's value."""
    require_permission(actor, Permission.EDIT_ELDERS)
    elder = conflict.elder
    if not scope_of(actor).contains(elder.region_path):
        raise NotFound()
    if conflict.outcome:
        raise ValidationFailed(errors=[FieldError("conflict", _("该冲突已处理"))])
    with transaction.atomic():
        if replace:
            elder = Elder.objects.select_for_update().get(pk=elder.pk)
            if conflict.field == "village_code":
                try:
                    village = get_region_for(actor, conflict.incoming_value)
                except NotFound:
                    village = None
                if village is None or village.level != RegionLevel.VILLAGE:
                    raise ValidationFailed(errors=[FieldError("conflict", _("区划代码不在您的辖区内"))])
                elder.region, elder.region_path = village, village.path
            else:
                setattr(elder, conflict.field, conflict.incoming_value)
            elder.save()
            queue_due_refresh(elder_ids=[elder.pk])
        conflict.outcome = ImportConflict.Outcome.REPLACED if replace else ImportConflict.Outcome.KEPT
        conflict.decided_by = actor  # type: ignore[assignment]
        conflict.decided_at = now()
        conflict.save(update_fields=["outcome", "decided_by", "decided_at"])
        record_event(
            actor=actor,
            action=Action.IMPORT_CONFLICT_DECIDED,
            subject=elder,
            changes={conflict.field: {"old": conflict.current_value, "new": conflict.incoming_value}}
            if replace
            else None,
            details={"outcome": conflict.outcome, "batch": conflict.batch_id, "line": conflict.line},
        )
