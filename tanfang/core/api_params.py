"""The types API operations share, so that the OpenAPI document states what the API accepts.

Generated clients and the fuzzer (.ci/fuzz) read the document; what it states, they send.

- Enforced by the schema, because nothing else would stop it before the database: ids and pages
  (RecordId, RecordRef, PageNumber, PageSize), days and moments (Day, Moment), choices (OneOf).
  A path id or region code out of bounds names no record: core.api_errors answers it 404, exactly
  like a missing record. Anything else out of bounds answers 422 in Chinese.
- Stated only (Documented, money): rules a service checks and explains better than a schema can.
- Examples (Example), valid against this database's example region, for people and the fuzzer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from ninja import Field, P, PathEx
from pydantic import AfterValidator, GetCoreSchemaHandler, GetJsonSchemaHandler, WithJsonSchema
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from tanfang.core.paging import MAX_PAGE, MAX_PAGE_SIZE
from tanfang.core.time import LOCAL_TZ, local_today, now

MAX_ID = 2**63 - 1  # the largest 64-bit primary key
REGION_CODE_PATTERN = r"^\d{6}(\d{6})?$"  # 6 digits down to county, 12 for township and village
TOWNSHIP_OR_VILLAGE_CODE = r"^\d{12}$"
NOT_BLANK = r"\S"  # at least one character that is not white space: what a .strip() leaves
# A day or moment one day inside what Python can represent: a step of a day or a time zone either
# way still fits. Nobody means anything nearer the ends.
FIRST_DAY = dt.date(1, 1, 2)
LAST_DAY = dt.date(9999, 12, 30)

RecordId = PathEx[int, P(ge=1, le=MAX_ID, description="记录编号")]
RegionCodeInPath = PathEx[str, P(pattern=REGION_CODE_PATTERN, description="区划代码：县级及以上6位，乡镇和村12位")]

# Ids, pages and codes in a query or a body.
RecordRef = Annotated[int, Field(ge=1, le=MAX_ID)]
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE, description="页码，从 1 开始")]
PageSize = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE, description="每页条数")]


def _day_in_range(value: dt.date) -> dt.date:
    if not FIRST_DAY <= value <= LAST_DAY:
        raise PydanticCustomError("date_out_of_range", "date out of range")
    return value


def _moment_in_range(value: dt.datetime) -> dt.datetime:
    if not FIRST_DAY <= value.date() <= LAST_DAY:
        raise PydanticCustomError("datetime_out_of_range", "datetime out of range")
    return value


_DAY_RANGE = {"formatMinimum": FIRST_DAY.isoformat(), "formatMaximum": LAST_DAY.isoformat()}
Day = Annotated[dt.date, AfterValidator(_day_in_range), Field(json_schema_extra=_DAY_RANGE)]
Moment = Annotated[
    dt.datetime,
    AfterValidator(_moment_in_range),
    Field(
        json_schema_extra={
            "formatMinimum": f"{FIRST_DAY.isoformat()}T00:00:00Z",
            "formatMaximum": f"{LAST_DAY.isoformat()}T23:59:59Z",
        }
    ),
]


def _without_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def may_leave_out(**constraints: Any) -> Any:
    """A field of a partial update that may be left out (nothing changes) but not sent as null.

    Its column holds no null, so a null is refused like any value of the wrong type; the document
    shows the field as optional and not nullable.
    """
    return Field(None, json_schema_extra=_without_default, **constraints)


class OneOf:
    """Limit a text field to given values, listed in the document as an enum.

    `Annotated[str, OneOf(Status)]` takes the values of a model's choices (or any strings) and
    validates to a plain str, what services and models expect. The values are stated inline, with no
    shared component whose name ("Role", "Status") could clash with another. `blank=True` also
    allows "", where it means "none".
    """

    def __init__(self, values: Iterable[str], *, blank: bool = False) -> None:
        self.values = [str(v) for v in values]  # str() of a choice is its value
        if blank and "" not in self.values:
            self.values.append("")

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.literal_schema(self.values)


class Example:
    """Show an example value in the document, for people, generated clients and the fuzzer.

    A callable is asked each time the document is built, for values that are only valid relative to
    the day: `Example(today)`.
    """

    def __init__(self, value: object | Callable[[], object]) -> None:
        self.value = value

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema["examples"] = [self.value() if callable(self.value) else self.value]
        return json_schema


def today() -> str:
    return local_today().isoformat()


def this_moment() -> str:
    return now().astimezone(LOCAL_TZ).isoformat(timespec="seconds")


class Documented:
    """JSON-schema keywords the document states and a service checks, not the schema.

    For rules whose service names what is wrong better than a schema can ("电话号码格式不正确：应为11位
    手机号或带区号的固定电话" rather than "格式不正确"): `Annotated[str, Documented(pattern=...)]`.
    The document states the canonical form; a service may accept more (full-width digits, spaces).
    """

    def __init__(self, **keywords: Any) -> None:
        self.keywords = keywords

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        json_schema = handler(schema)
        json_schema.update(self.keywords)
        return json_schema


NotBlank = Annotated[str, Documented(pattern=NOT_BLANK)]


def money(whole_digits: int) -> WithJsonSchema:
    """An amount of yuan as the document shows it: whole yuan, or a string with at most two decimals.

    The API reads a JSON number with decimals too; a string says exactly what is meant.
    """
    return WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": 10**whole_digits - 1},
                {"type": "string", "pattern": rf"^\d{{1,{whole_digits}}}(\.\d{{1,2}})?$"},
            ]
        },
        mode="validation",
    )
