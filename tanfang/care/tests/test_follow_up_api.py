"""The follow-up API: open by hand, list, one with its timeline, and the lifecycle; Chinese errors."""

from __future__ import annotations

import datetime as dt
import json

import time_machine

from tanfang.care.models import FollowUp
from tanfang.core.time import LOCAL_TZ

MID_MONTH = dt.datetime(2026, 11, 18, 15, 0, tzinfo=LOCAL_TZ)


def _post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


@time_machine.travel(MID_MONTH, tick=True)
def test_open_assign_accept_and_finish_through_the_api(paired, as_user):
    officer, visitor = as_user(paired.officer), as_user(paired.user)

    created = _post(
        officer, "/api/v1/follow-ups", {"elder_id": paired.elder.pk, "kind": "supporters", "title": "联系赡养人"}
    )
    assert created.status_code == 201, created.content
    fu = created.json()
    assert fu["state"] == "open" and fu["events"][0]["kind"] == "opened"

    assert _post(officer, f"/api/v1/follow-ups/{fu['id']}/assign", {"user_id": paired.user.pk}).status_code == 200
    assert _post(visitor, f"/api/v1/follow-ups/{fu['id']}/accept").status_code == 200
    done = _post(visitor, f"/api/v1/follow-ups/{fu['id']}/done", {"note": "已联系儿子"})

    assert done.status_code == 200
    assert done.json()["state"] == "done"
    assert [e["kind"] for e in done.json()["events"]] == ["opened", "assigned", "accepted", "done"]
    listed = visitor.get("/api/v1/follow-ups?mine=true&state=done").json()
    assert [i["id"] for i in listed["items"]] == [fu["id"]]


@time_machine.travel(MID_MONTH, tick=True)
def test_a_step_not_allowed_answers_422_in_chinese_and_changes_nothing(paired, as_user):
    officer = as_user(paired.officer)
    fu = _post(officer, "/api/v1/follow-ups", {"elder_id": paired.elder.pk, "kind": "other", "title": "看望"}).json()
    _post(officer, f"/api/v1/follow-ups/{fu['id']}/close", {"outcome": "not_needed"})

    again = _post(officer, f"/api/v1/follow-ups/{fu['id']}/assign", {"user_id": paired.user.pk})

    assert again.status_code == 422
    assert "已关闭" in again.json()["message"]
    assert FollowUp.objects.get().owner_user_id is None


def test_a_follow_up_for_an_elder_of_another_county_is_not_found(paired, officer_county_south, as_user):
    response = _post(
        as_user(officer_county_south),
        "/api/v1/follow-ups",
        {"elder_id": paired.elder.pk, "kind": "other", "title": "x"},
    )
    assert response.status_code == 404
    assert not FollowUp.objects.exists()
