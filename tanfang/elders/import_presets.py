"""Which column of an uploaded roster holds which field of an elder: the presets per source.

Elders come from three kinds of lists — the civil-affairs roster (民政台账), the
health commission's family-planning special-family list and the disabled persons'
federation list — each with its own header names, or from any file with a mapping
the user gives. `map_columns` matches a file's header against a preset; header
names are compared without spaces, brackets, "*" marks or case, and full-width
characters count as half-width ones.

Pure data and functions: the rows' values are checked elsewhere.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.utils import get_column_letter

from tanfang.core.tabular import TableRow


class ImportField(models.TextChoices):
    """The fields an import can fill; the label names the column in messages when the file's is unknown."""

    NAME = "name", gettext_lazy("姓名")
    SEX = "sex", gettext_lazy("性别")
    ID_NUMBER = "id_number", gettext_lazy("公民身份号码")
    PHONE = "phone", gettext_lazy("联系电话")
    VILLAGE_CODE = "village_code", gettext_lazy("现居住地区划代码")
    ADDRESS = "address", gettext_lazy("现居住地址")
    GROUPS = "groups", gettext_lazy("特殊困难类别")
    EMERGENCY_NAME = "emergency_name", gettext_lazy("紧急联系人")
    EMERGENCY_PHONE = "emergency_phone", gettext_lazy("紧急联系人电话")
    EMERGENCY_RELATION = "emergency_relation", gettext_lazy("紧急联系人关系")
    REGISTERED_VILLAGE_CODE = "registered_village_code", gettext_lazy("户籍地区划代码")
    LIVES_AT_REGISTRATION = "lives_at_registration", gettext_lazy("是否人户一致")
    DISABILITY_CERTIFICATE = "disability_certificate", gettext_lazy("残疾证号")
    DISABILITY_GRADE = "disability_grade", gettext_lazy("残疾等级")
    DISABILITY_TYPE = "disability_type", gettext_lazy("残疾类别")
    SUBSISTENCE = "subsistence", gettext_lazy("低保特困")
    ABILITY_SCORE = "ability_score", gettext_lazy("能力评估得分")
    ABILITY_LEVEL = "ability_level", gettext_lazy("能力等级")
    GROUP_SINCE = "group_since", gettext_lazy("认定日期")
    SPECIAL_FAMILY_TYPE = "special_family_type", gettext_lazy("特扶类型")
    NOTE = "note", gettext_lazy("备注")


class Source(models.TextChoices):
    CIVIL_AFFAIRS = "civil_affairs", gettext_lazy("民政台账")
    HEALTH_COMMISSION = "health_commission", gettext_lazy("卫健委计划生育特殊家庭名单")
    DISABLED_FEDERATION = "disabled_federation", gettext_lazy("残联残疾人名单")
    CUSTOM = "custom", gettext_lazy("自定义映射")


# Every header name accepted for a field, whatever the source.
_ALIASES: dict[ImportField, tuple[str, ...]] = {
    ImportField.NAME: ("姓名", "老人姓名", "老年人姓名"),
    ImportField.SEX: ("性别",),
    ImportField.ID_NUMBER: (
        "公民身份号码",
        "身份证号",
        "身份证号码",
        "身份证",
        "公民身份证号码",
        "公民身份证号",
        "身份证件号码",
    ),
    ImportField.PHONE: ("联系电话", "电话", "手机号", "手机号码", "手机", "电话号码", "联系方式"),
    ImportField.VILLAGE_CODE: (
        "现居住地区划代码",
        "村（居）代码",
        "区划代码",
        "村（居）委会代码",
        "村（社区）代码",
        "居住地区划代码",
        "现居住地行政区划代码",
        "行政区划代码",
    ),
    ImportField.ADDRESS: ("现居住地址", "住址", "家庭住址", "现住址", "居住地址", "地址", "详细地址"),
    ImportField.GROUPS: ("特殊困难类别", "困难类别", "特殊困难老年人类别"),
    ImportField.EMERGENCY_NAME: ("紧急联系人", "紧急联系人姓名"),
    ImportField.EMERGENCY_PHONE: (
        "紧急联系人电话",
        "紧急联系人联系电话",
        "紧急联系人手机",
        "紧急联系人手机号",
        "紧急联系人手机号码",
        "紧急联系电话",
    ),
    ImportField.EMERGENCY_RELATION: ("紧急联系人关系", "紧急联系人与老人关系", "与老人关系", "与老年人关系"),
    ImportField.REGISTERED_VILLAGE_CODE: ("户籍地区划代码", "户籍所在地区划代码", "户籍区划代码"),
    ImportField.LIVES_AT_REGISTRATION: ("是否人户一致", "人户一致", "人户是否一致"),
    ImportField.DISABILITY_CERTIFICATE: ("残疾证号", "残疾证号码", "残疾人证号", "残疾人证号码", "残疾证编号"),
    ImportField.DISABILITY_GRADE: ("残疾等级", "残疾级别"),
    ImportField.DISABILITY_TYPE: ("残疾类别", "残疾类型"),
    ImportField.SUBSISTENCE: ("低保特困", "低保/特困", "低保特困情况", "是否低保特困"),
    ImportField.ABILITY_SCORE: ("能力评估得分", "能力评估分数", "评估得分"),
    ImportField.ABILITY_LEVEL: ("能力等级", "老年人能力等级", "能力评估等级"),
    ImportField.GROUP_SINCE: ("认定日期", "认定时间", "纳入日期"),
    ImportField.SPECIAL_FAMILY_TYPE: ("特扶类型", "特别扶助类型", "特殊家庭类型"),
    ImportField.NOTE: ("备注",),
}

# Characters a header may carry without changing its meaning: spaces, brackets, the
# "*" some templates put on required columns, separators. Applied after NFKC, which
# turns full-width forms into half-width ones.
_HEADER_NOISE = re.compile(r"[\s()\[\]{}【】〔〕<>《》*※:/、_\-]")


def header_key(header: str) -> str:
    """The form in which header names are compared: "村（居） 代码*" and "村(居)代码" are the same."""
    return _HEADER_NOISE.sub("", unicodedata.normalize("NFKC", header)).lower()


@dataclass(frozen=True)
class Preset:
    """The header names a source's files use for each field, the first being the source's own."""

    source: Source
    headers: Mapping[ImportField, tuple[str, ...]]
    required: frozenset[ImportField]
    _lookup: dict[str, ImportField] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lookup: dict[str, ImportField] = {}
        for import_field, names in self.headers.items():
            for name in names:
                key = header_key(name)
                if lookup.setdefault(key, import_field) != import_field:
                    raise ValueError(f"Header {name!r} of {self.source} names two fields")
        object.__setattr__(self, "_lookup", lookup)

    def field_for(self, header: str) -> ImportField | None:
        return self._lookup.get(header_key(header))


REQUIRED_FIELDS = frozenset({ImportField.NAME, ImportField.ID_NUMBER, ImportField.VILLAGE_CODE})


def _preset(source: Source, own_headers: Mapping[ImportField, str]) -> Preset:
    """A preset whose fields accept the source's own header first, then every general alias."""
    headers = {
        import_field: (own, *(alias for alias in _ALIASES[import_field] if alias != own))
        for import_field, own in own_headers.items()
    }
    return Preset(source=source, headers=headers, required=REQUIRED_FIELDS)


PRESETS: dict[Source, Preset] = {
    Source.CIVIL_AFFAIRS: _preset(
        Source.CIVIL_AFFAIRS, {import_field: _ALIASES[import_field][0] for import_field in ImportField}
    ),
    Source.HEALTH_COMMISSION: _preset(
        Source.HEALTH_COMMISSION,
        {
            ImportField.NAME: "姓名",
            ImportField.SEX: "性别",
            ImportField.ID_NUMBER: "身份证号码",
            ImportField.PHONE: "联系电话",
            ImportField.VILLAGE_CODE: "现居住地区划代码",
            ImportField.ADDRESS: "家庭住址",
            ImportField.SPECIAL_FAMILY_TYPE: "特扶类型",
            ImportField.GROUP_SINCE: "认定日期",
            ImportField.NOTE: "备注",
        },
    ),
    Source.DISABLED_FEDERATION: _preset(
        Source.DISABLED_FEDERATION,
        {
            ImportField.NAME: "姓名",
            ImportField.SEX: "性别",
            ImportField.ID_NUMBER: "身份证号",
            ImportField.PHONE: "联系电话",
            ImportField.VILLAGE_CODE: "区划代码",
            ImportField.ADDRESS: "地址",
            ImportField.DISABILITY_CERTIFICATE: "残疾证号",
            ImportField.DISABILITY_GRADE: "残疾等级",
            ImportField.DISABILITY_TYPE: "残疾类别",
            ImportField.GROUP_SINCE: "认定日期",
            ImportField.NOTE: "备注",
        },
    ),
}


@dataclass(frozen=True, slots=True)
class MappedColumn:
    """A column of the file: its 0-based index and its header as the file writes it."""

    index: int
    header: str

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass(frozen=True)
class ColumnMap:
    """Which column holds each field; headers no field claims are listed and ignored."""

    source: Source
    columns: Mapping[ImportField, MappedColumn]
    unknown_headers: tuple[str, ...] = ()

    def column_name(self, import_field: ImportField) -> str:
        """The name to put in an error about the field: the file's header, else the field's label."""
        column = self.columns.get(import_field)
        return column.header if column is not None else str(import_field.label)


class ColumnMapError(ValueError):
    """The header cannot be used: required columns missing, or two columns for one field.

    `messages` holds every problem in Chinese; `message` joins them.
    """

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        self.message = "；".join(messages)
        super().__init__(self.message)


def map_columns(headers: list[str], source: Source, custom: Mapping[str, str] | None = None) -> ColumnMap:
    """Say which column of the file holds which field, by the source's preset or the custom mapping.

    `custom` ({file header: field key}) is used, and required, when the source is
    CUSTOM; an empty field key leaves the column out. Raises ColumnMapError listing
    every missing required column ("缺少必需的列：公民身份号码"), every field two
    columns claim, and for a custom mapping every header or field key it names that
    does not exist.
    """
    problems: list[str] = []
    if source == Source.CUSTOM:
        claims = _custom_claims(headers, custom or {}, problems)
        preset = None
    else:
        preset = PRESETS[source]
        claims = {}
        for index, header in enumerate(headers):
            import_field = preset.field_for(header)
            if import_field is not None:
                claims[index] = import_field

    by_field: dict[ImportField, list[MappedColumn]] = {}
    unknown: list[str] = []
    for index, header in enumerate(headers):
        if not header:
            continue
        import_field = claims.get(index)
        if import_field is None:
            unknown.append(header)
        else:
            by_field.setdefault(import_field, []).append(MappedColumn(index, header))

    for import_field, columns in by_field.items():
        if len(columns) > 1:
            problems.append(
                _("%(columns)s都对应“%(field)s”，请只保留其中一列")
                % {
                    "columns": "、".join(
                        _("第%(letter)s列“%(header)s”") % {"letter": c.letter, "header": c.header} for c in columns
                    ),
                    "field": import_field.label,
                }
            )
    required = preset.required if preset is not None else REQUIRED_FIELDS
    for import_field in ImportField:  # in the order of the fields, not of a set
        if import_field in required and import_field not in by_field:
            problems.append(_missing_message(import_field, preset))
    if problems:
        raise ColumnMapError(problems)
    return ColumnMap(
        source=source,
        columns={import_field: columns[0] for import_field, columns in by_field.items()},
        unknown_headers=tuple(unknown),
    )


def _custom_claims(headers: list[str], custom: Mapping[str, str], problems: list[str]) -> dict[int, ImportField]:
    """Resolve a {file header: field key} mapping to {column index: field}, noting what it names wrongly."""
    indexes: dict[str, list[int]] = {}
    for index, header in enumerate(headers):
        if header:
            indexes.setdefault(header_key(header), []).append(index)
    claims: dict[int, ImportField] = {}
    for header, key in custom.items():
        if not key:
            continue
        if key not in ImportField.values:
            problems.append(_("列对应关系里的字段“%(key)s”不存在") % {"key": key})
            continue
        found = indexes.get(header_key(header))
        if not found:
            problems.append(_("列对应关系里的列“%(header)s”在文件表头中找不到") % {"header": header})
            continue
        for index in found:
            claims[index] = ImportField(key)
    return claims


def _missing_message(import_field: ImportField, preset: Preset | None) -> str:
    message = _("缺少必需的列：%(column)s") % {"column": import_field.label}
    if preset is None:
        return message + _("（请在列对应关系中指定）")
    return message + _("（可用的列名：%(names)s）") % {"names": "、".join(preset.headers[import_field])}


def row_values(column_map: ColumnMap, row: TableRow) -> dict[str, str]:
    """Return field key → the row's raw text for every mapped field ("" for a missing cell)."""
    cells = row.cells
    return {
        str(import_field): cells[column.index] if column.index < len(cells) else ""
        for import_field, column in column_map.columns.items()
    }
