"""National division codes: format per level, and how a code relates to its parent.

Province 410000, city 410800, county 410823 (6 digits); township 410823100000 and
village 410823100201 (12-digit statistical codes). A child's code starts with its
parent's significant prefix: 2, 4, 6 and 9 digits for province, city, county, township.
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from tanfang.core.roles import RegionLevel

PREFIX_LENGTH = {
    RegionLevel.PROVINCE: 2,
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}

_LEVEL_WORDS = {
    "1": RegionLevel.PROVINCE,
    "province": RegionLevel.PROVINCE,
    "省": RegionLevel.PROVINCE,
    "2": RegionLevel.CITY,
    "city": RegionLevel.CITY,
    "市": RegionLevel.CITY,
    "3": RegionLevel.COUNTY,
    "county": RegionLevel.COUNTY,
    "县": RegionLevel.COUNTY,
    "区县": RegionLevel.COUNTY,
    "4": RegionLevel.TOWNSHIP,
    "township": RegionLevel.TOWNSHIP,
    "乡": RegionLevel.TOWNSHIP,
    "乡镇": RegionLevel.TOWNSHIP,
    "街道": RegionLevel.TOWNSHIP,
    "乡镇街道": RegionLevel.TOWNSHIP,
    "5": RegionLevel.VILLAGE,
    "village": RegionLevel.VILLAGE,
    "村": RegionLevel.VILLAGE,
    "村居": RegionLevel.VILLAGE,
    "社区": RegionLevel.VILLAGE,
}


def parse_level(raw: str) -> RegionLevel | None:
    """Read a level written as 1–5, in English or in Chinese; None if unreadable."""
    word = re.sub(r"[\s（）()、/]", "", str(raw)).lower()
    return _LEVEL_WORDS.get(word)


def code_format_error(code: str, level: RegionLevel) -> str | None:
    """Say what is wrong with a code for its level, in Chinese; None if it is well formed."""
    if level <= RegionLevel.COUNTY:
        if not re.fullmatch(r"\d{6}", code):
            return _("%(level)s级区划代码应为6位数字") % {"level": level.label}
        if level == RegionLevel.PROVINCE and not code.endswith("0000"):
            return _("省级区划代码应以0000结尾")
        if level == RegionLevel.CITY and (not code.endswith("00") or code.endswith("0000")):
            return _("市级区划代码应以00结尾且第3、4位不全为0")
        if level == RegionLevel.COUNTY and code.endswith("00"):
            return _("县级区划代码第5、6位不能全为0")
        return None
    if not re.fullmatch(r"\d{12}", code):
        return _("%(level)s级区划代码应为12位数字") % {"level": level.label}
    if level == RegionLevel.TOWNSHIP and (not code.endswith("000") or code[6:9] == "000"):
        return _("乡镇级区划代码应以000结尾且第7–9位不全为0")
    if level == RegionLevel.VILLAGE and code.endswith("000"):
        return _("村级区划代码最后3位不能全为0")
    return None


def significant_prefix(code: str, level: RegionLevel) -> str:
    return code[: PREFIX_LENGTH[level]]


def is_child_code(child: str, child_level: RegionLevel, parent: str, parent_level: RegionLevel) -> bool:
    """Say whether a code can sit directly under a parent code."""
    return child_level == parent_level + 1 and child.startswith(significant_prefix(parent, parent_level))


def province_code(short: str) -> str:
    return short.ljust(6, "0")


def city_code(short: str) -> str:
    return short.ljust(6, "0")


def township_code(short: str) -> str:
    return short.ljust(12, "0")
