import pytest

from tanfang.accounts.models import User
from tanfang.accounts.selectors import users_visible_to
from tanfang.accounts.services import UserInput, create_user, reset_password, unlock_user, update_user
from tanfang.audit.models import AuditEvent
from tanfang.core.errors import NotFound, PermissionDenied, ValidationFailed
from tanfang.core.id_numbers import mask_phone
from tanfang.core.roles import Role

GOOD_PASSWORD = "Cunwei2026abc"


def worker_input(region_code="410823001001", role=Role.VILLAGE_WORKER, **extra):
    return UserInput(display_name="王村委", role=role, region_codes=[region_code], **extra)


def test_a_county_officer_creates_a_village_worker_inside_the_county(officer_county_north):
    # when
    user = create_user(actor=officer_county_north, username="wang", password=GOOD_PASSWORD, data=worker_input())

    # then
    assert user.role == Role.VILLAGE_WORKER
    assert user.region_paths() == ("410000/410800/410823/410823001000/410823001001/",)
    assert user.must_change_password is True
    assert user.created_by == officer_county_north
    event = AuditEvent.objects.get(action="user.created")
    assert event.actor == officer_county_north
    assert event.changes["role"] == {"old": None, "new": "village_worker"}
    assert event.changes["regions"] == {"old": None, "new": ["410823001001"]}
    assert event.region_path == "410000/410800/410823/410823001000/410823001001/"
    assert GOOD_PASSWORD not in str(event.changes)


def test_creating_a_user_in_another_county_answers_not_found_and_creates_nothing(officer_county_north):
    with pytest.raises(NotFound):
        create_user(
            actor=officer_county_north, username="li", password=GOOD_PASSWORD, data=worker_input("410822001001")
        )

    assert not User.objects.filter(username="li").exists()
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize("role", [Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN, Role.PROVINCE_OFFICER])
def test_a_county_officer_cannot_grant_a_higher_role(officer_county_north, role):
    with pytest.raises(PermissionDenied):
        create_user(
            actor=officer_county_north, username="up", password=GOOD_PASSWORD, data=worker_input("410823", role)
        )

    assert not User.objects.filter(username="up").exists()


def test_the_role_must_fit_the_level_of_its_regions(officer_county_north):
    with pytest.raises(ValidationFailed) as error:
        create_user(
            actor=officer_county_north,
            username="tw",
            password=GOOD_PASSWORD,
            data=worker_input("410823001001", Role.TOWNSHIP_OFFICER),
        )

    assert error.value.errors[0].field == "region_codes"
    assert "乡镇（街道）干部不能分配到村（居）级区划" in error.value.errors[0].message


def test_usernames_are_unique_ignoring_case(officer_county_north):
    with pytest.raises(ValidationFailed) as error:
        create_user(actor=officer_county_north, username="OFFICER_WUZHI", password=GOOD_PASSWORD, data=worker_input())

    assert error.value.errors[0].message == "用户名「OFFICER_WUZHI」已被使用"


def test_a_weak_initial_password_is_refused(officer_county_north):
    with pytest.raises(ValidationFailed) as error:
        create_user(actor=officer_county_north, username="weak", password="123", data=worker_input())

    assert {e.field for e in error.value.errors} == {"password"}
    assert not User.objects.filter(username="weak").exists()


def test_visitors_and_village_workers_cannot_create_users(visitor_north, worker_village_north):
    for actor in (visitor_north, worker_village_north):
        with pytest.raises(PermissionDenied):
            create_user(actor=actor, username="x" + actor.username, password=GOOD_PASSWORD, data=worker_input())


def test_an_officer_sees_only_users_assigned_inside_its_regions(
    officer_county_north, officer_township_north, worker_village_north, officer_county_south, officer_province, nobody
):
    visible = set(users_visible_to(officer_county_north).values_list("username", flat=True))

    assert visible == {"officer_wuzhi", "officer_mucheng", "worker_jianshe"}


def test_update_records_old_and_new_values(officer_county_north, worker_village_north):
    # when
    update_user(
        actor=officer_county_north,
        user=worker_village_north,
        data=UserInput(
            display_name="新名字", role=Role.VILLAGE_WORKER, region_codes=["410823001002"], phone="13800000000"
        ),
    )

    # then
    event = AuditEvent.objects.get(action="user.updated")
    assert event.changes == {
        "display_name": {"old": "建设社区工作人员", "new": "新名字"},
        "phone_masked": {"old": "", "new": mask_phone("13800000000")},
        "regions": {"old": ["410823001001"], "new": ["410823001002"]},
    }
    assert "13800000000" not in str(event.changes)


def test_an_officer_cannot_edit_a_user_of_another_county(officer_county_north, officer_county_south):
    with pytest.raises(NotFound):
        update_user(
            actor=officer_county_north,
            user=officer_county_south,
            data=UserInput(display_name="改", role=Role.COUNTY_OFFICER, region_codes=["410822"]),
        )

    officer_county_south.refresh_from_db()
    assert officer_county_south.display_name == "博爱县民政局"
    assert AuditEvent.objects.count() == 0


def test_a_township_officer_cannot_edit_its_county_officer(officer_township_north, officer_county_north):
    # The county officer is not inside the township, so it is out of sight.
    with pytest.raises(NotFound):
        reset_password(actor=officer_township_north, user=officer_county_north, new_password=GOOD_PASSWORD)


def test_nobody_deactivates_themselves(officer_county_north):
    with pytest.raises(PermissionDenied):
        update_user(
            actor=officer_county_north,
            user=officer_county_north,
            data=UserInput(display_name="x", role=Role.COUNTY_OFFICER, region_codes=["410823"], is_active=False),
        )

    officer_county_north.refresh_from_db()
    assert officer_county_north.is_active is True


def test_reset_password_forces_a_change_and_unlock_clears_the_lock(officer_county_north, worker_village_north):
    # when
    reset_password(actor=officer_county_north, user=worker_village_north, new_password=GOOD_PASSWORD)
    unlock_user(actor=officer_county_north, user=worker_village_north)

    # then
    worker_village_north.refresh_from_db()
    assert worker_village_north.must_change_password is True
    assert worker_village_north.check_password(GOOD_PASSWORD)
    assert [e.action for e in AuditEvent.objects.order_by("id")] == ["auth.password_reset", "user.unlocked"]


def test_a_supervisor_reads_users_but_cannot_change_them(supervisor_north, worker_village_north):
    assert worker_village_north in users_visible_to(supervisor_north)
    with pytest.raises(PermissionDenied):
        unlock_user(actor=supervisor_north, user=worker_village_north)
