"""Pages as a person meets them: Chinese first, field errors next to fields, role-based navigation."""

import re

from django.test import Client

from tanfang.accounts.models import User


def test_pages_are_chinese_even_for_an_english_browser(officer_county_north, as_user):
    client = as_user(officer_county_north)

    html = client.get("/", headers={"Accept-Language": "en-US,en;q=0.9"}).content.decode()

    assert '<html lang="zh-hans">' in html
    assert "行政区划" in html


def test_the_language_switch_turns_the_interface_to_english(officer_county_north, as_user):
    client = as_user(officer_county_north)

    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()

    assert '<html lang="en">' in html
    assert "Regions" in html
    assert "Audit log" in html


def test_navigation_depends_on_the_role(officer_county_north, visitor_north, supervisor_north, as_user):
    officer = as_user(officer_county_north).get("/").content.decode()
    visitor = as_user(visitor_north).get("/").content.decode()
    supervisor = as_user(supervisor_north).get("/").content.decode()

    assert all(item in officer for item in ("行政区划", "用户管理", "审计日志"))
    assert not any(item in visitor for item in ("行政区划", "用户管理", "审计日志"))
    assert all(item in supervisor for item in ("行政区划", "审计日志"))
    # The API documentation is for desk work: officers see its link, a visitor in the field does not
    assert "接口文档" in officer and "接口文档" in supervisor
    worklist = as_user(visitor_north).get("/worklist/")
    assert worklist.status_code == 200 and "我的探访" in worklist.content.decode()
    assert "接口文档" not in worklist.content.decode()


def test_a_visitor_is_refused_officer_pages(visitor_north, as_user):
    client = as_user(visitor_north)

    assert client.get("/regions/").status_code == 403
    assert client.get("/users/").status_code == 403
    assert client.get("/audit/").status_code == 403


def test_a_user_without_regions_is_told_so_and_sees_nothing(nobody, as_user):
    html = as_user(nobody).get("/").content.decode()

    assert "您的账号尚未分配区划" in html


def test_the_user_form_shows_field_errors_in_chinese_and_creates_nothing(officer_county_north, as_user):
    response = as_user(officer_county_north).post(
        "/users/new/",
        {
            "username": "",
            "display_name": "王五",
            "role": "village_worker",
            "region_codes": "410823001001",
            "password": "abc",
        },
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-field-error="username"' in html
    assert "这个字段是必填项。" in html
    assert User.objects.count() == 1


def test_the_user_form_creates_a_user_and_shows_it(officer_county_north, as_user):
    response = as_user(officer_county_north).post(
        "/users/new/",
        {
            "username": "wangwu",
            "display_name": "王五",
            "role": "village_worker",
            "region_codes": "410823001001, 410823001002",
            "password": "Cunwei2026abc",
        },
        follow=True,
    )

    html = response.content.decode()
    assert "已创建用户 王五（wangwu）" in html
    assert "建设社区居民委员会" in html and "和平社区居民委员会" in html


def test_the_region_page_browses_down_the_tree(officer_county_north, as_user):
    html = as_user(officer_county_north).get("/regions/410823001000/").content.decode()

    assert "木城街道" in html
    assert "建设社区居民委员会" in html
    assert "河南省焦作市武陟县木城街道" in html


def test_health_check_reports_the_database_without_log_in(db):
    response = Client().get("/healthz")

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


def test_the_weather_page_shows_the_groups_as_labelled_check_boxes(officer_county_north, as_user):
    html = as_user(officer_county_north).get("/schedule/410823/weather/").content.decode()

    boxes = re.findall(r'<input type="checkbox" name="groups" value="(\w+)" class="([^"]+)" id="(\w+)"', html)
    assert [value for value, _css, _id in boxes] == [
        "living_alone",
        "empty_nest",
        "left_behind",
        "disabled",
        "severely_handicapped",
        "special_family",
    ]
    assert all(css == "form-check-input" for _value, css, _id in boxes)  # not stretched like a text field
    for _value, _css, box_id in boxes:
        assert f'<label class="form-check-label" for="{box_id}">' in html
    assert 'data-testid="choices-groups"' in html and "须联系的类别（不选为全部）</legend>" in html


def test_the_elder_form_shows_its_groups_as_check_boxes(officer_county_north, as_user):
    html = as_user(officer_county_north).get("/elders/new/").content.decode()

    classes = re.findall(r'<input type="checkbox" name="groups" value="\w+" class="([^"]+)"', html)
    assert len(classes) == 6 and set(classes) == {"form-check-input"}


def test_in_english_the_schedule_tabs_and_the_language_menu_are_english(officer_county_north, as_user):
    client = as_user(officer_county_north)
    client.cookies["django_language"] = "en"

    html = client.get("/schedule/410823/").content.decode()

    for tab in ("Not visited this month", "Overdue", "Unpaired", "Visitor loads"):
        assert f">{tab}</a>" in html
    assert "本月未探访" not in html and "探访人员负担" not in html
    options = re.findall(r'<option value="([\w-]+)"[^>]*>([^<]+)</option>', html)
    assert options == [("zh-hans", "简体中文 (Simplified Chinese)"), ("en", "English")]


def test_in_chinese_the_language_menu_names_each_language_in_its_own_words_then_in_chinese(
    officer_county_north, as_user
):
    html = as_user(officer_county_north).get("/schedule/410823/").content.decode()

    options = re.findall(r'<option value="([\w-]+)"[^>]*>([^<]+)</option>', html)
    assert options == [("zh-hans", "简体中文"), ("en", "English (英语)")]
