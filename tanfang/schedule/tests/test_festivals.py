"""Festival dates against the published calendar, for ordinary years, leap-month years and 2033."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command

from tanfang.schedule.festivals import festivals_for, traditional_festivals
from tanfang.schedule.models import RegionFestival

# Dates as published in the official calendars (国务院办公厅节假日安排 and almanacs).
KNOWN = {
    2020: ["01-25 春节", "02-08 元宵节", "04-04 清明节", "06-25 端午节", "10-01 中秋节", "10-25 重阳节"],  # 闰四月
    2023: ["01-22 春节", "02-05 元宵节", "04-05 清明节", "06-22 端午节", "09-29 中秋节", "10-23 重阳节"],  # 闰二月
    2024: ["02-10 春节", "02-24 元宵节", "04-04 清明节", "06-10 端午节", "09-17 中秋节", "10-11 重阳节"],
    2025: ["01-29 春节", "02-12 元宵节", "04-04 清明节", "05-31 端午节", "10-06 中秋节", "10-29 重阳节"],  # 闰六月
    2026: ["02-17 春节", "03-03 元宵节", "04-05 清明节", "06-19 端午节", "09-25 中秋节", "10-18 重阳节"],
    2033: ["01-31 春节", "02-14 元宵节", "04-04 清明节", "06-01 端午节", "09-08 中秋节", "10-01 重阳节"],  # 闰十一月
}


@pytest.mark.parametrize("year", sorted(KNOWN))
def test_traditional_festivals_fall_on_the_published_dates(year):
    festivals = traditional_festivals(year)

    assert [f"{f.day:%m-%d} {f.name}" for f in festivals] == KNOWN[year]
    assert all(f.day.year == year for f in festivals)


@pytest.mark.parametrize("year", [1900, 1950, 2000, 2050, 2100, 2199])
def test_every_year_in_range_has_six_festivals_in_their_seasons(year):
    festivals = {f.code: f.day for f in traditional_festivals(year)}

    assert len(festivals) == 6
    assert dt.date(year, 1, 21) <= festivals["spring"] <= dt.date(year, 2, 20)
    assert festivals["lantern"] - festivals["spring"] == dt.timedelta(days=14)
    assert dt.date(year, 4, 4) <= festivals["qingming"] <= dt.date(year, 4, 6)
    assert dt.date(year, 9, 7) <= festivals["mid_autumn"] <= dt.date(year, 10, 8)


@pytest.mark.parametrize("year", [1899, 2200])
def test_years_out_of_range_are_refused_in_chinese(year):
    with pytest.raises(CommandError, match="年份应在 1900 到 2199 之间"):
        call_command("festivals", "--year", str(year))


def test_the_command_prints_one_line_per_festival(capsys, db):
    call_command("festivals", "--year", "2026")

    assert capsys.readouterr().out.splitlines() == [f"2026-{line}" for line in KNOWN[2026]]


def test_a_region_adds_solar_festivals_for_itself_and_below(tree):
    RegionFestival.objects.create(region=tree.wuzhi, region_path=tree.wuzhi.path, name="县敬老节", month=10, day=1)
    RegionFestival.objects.create(region=tree.boai, region_path=tree.boai.path, name="外县节日", month=5, day=1)
    RegionFestival.objects.create(region=tree.henan, region_path=tree.henan.path, name="闰日活动", month=2, day=29)

    in_village = [f"{f.day:%m-%d} {f.name}" for f in festivals_for(2024, tree.jianshe.path)]
    in_2026 = [f.name for f in festivals_for(2026, tree.jianshe.path)]

    assert "10-01 县敬老节" in in_village and "02-29 闰日活动" in in_village
    assert "外县节日" not in " ".join(in_village)
    assert "闰日活动" not in in_2026  # no 29 February in 2026


def test_the_command_includes_a_regions_festivals(tree, capsys):
    RegionFestival.objects.create(region=tree.wuzhi, region_path=tree.wuzhi.path, name="县敬老节", month=10, day=1)

    call_command("festivals", "--year", "2026", "--region", "410823001001")

    lines = capsys.readouterr().out.splitlines()
    assert "2026-10-01 县敬老节" in lines and len(lines) == 7
    assert lines == sorted(lines)
