import pytest

from tanfang.core.errors import NotFound, PermissionDenied
from tanfang.core.roles import Role
from tanfang.core.scope import Scope, scope_of
from tanfang.devtools.factories import make_user
from tanfang.regions.scoping import get_region_for, regions_visible_to
from tanfang.regions.selectors import browse_regions, search_regions


def codes(queryset):
    return set(queryset.values_list("code", flat=True))


def test_a_county_officer_sees_exactly_its_county_subtree(tree, officer_county_north):
    assert codes(regions_visible_to(officer_county_north)) == {
        "410823",
        "410823001000",
        "410823001001",
        "410823001002",
    }


def test_a_user_with_no_region_sees_nothing(nobody):
    assert scope_of(nobody).is_empty
    assert codes(regions_visible_to(nobody)) == set()
    with pytest.raises(NotFound):
        get_region_for(nobody, "410823")


def test_an_inactive_user_sees_nothing(officer_county_north):
    officer_county_north.is_active = False

    assert codes(regions_visible_to(officer_county_north)) == set()


def test_a_region_outside_scope_answers_exactly_like_a_missing_one(officer_county_south):
    with pytest.raises(NotFound) as outside:
        get_region_for(officer_county_south, "410823")
    with pytest.raises(NotFound) as missing:
        get_region_for(officer_county_south, "999999")

    assert outside.value.message == missing.value.message


def test_a_user_with_two_regions_sees_both_subtrees(tree):
    user = make_user("two_villages", Role.VISITOR, [tree.jianshe, tree.bajie])

    assert codes(regions_visible_to(user)) == {"410823001001", "410822001001"}


def test_a_parent_region_contains_its_children_only_by_path_not_by_code_text(tree):
    # "410823" is a text prefix of no other county here, but the rule must not depend on that.
    scope = Scope.of(["410000/410800/410823/"])

    assert scope.contains("410000/410800/410823/410823001000/")
    assert not scope.contains("410000/410800/410822/")
    assert not scope.contains("")


def test_overlapping_assignments_collapse_to_the_widest(tree):
    scope = Scope.of(["410000/410800/410823/410823001000/", "410000/410800/410823/"])

    assert scope.paths == ("410000/410800/410823/",)


def test_browsing_shows_visible_ancestors_only(officer_township_north):
    view = browse_regions(officer_township_north, "410823001001")

    assert view.region is not None
    assert view.region.code == "410823001001"
    assert [r.code for r in view.breadcrumbs] == ["410823001000"]
    assert view.children == []


def test_browsing_the_top_lists_the_users_own_regions(officer_county_north):
    view = browse_regions(officer_county_north)

    assert [r.code for r in view.children] == ["410823"]
    assert getattr(view.children[0], "child_count") == 1  # noqa: B009


def test_search_finds_by_name_and_code_inside_scope_only(officer_county_north):
    assert codes(search_regions(officer_county_north, "社区")) == {"410823001001", "410823001002"}
    assert codes(search_regions(officer_county_north, "4108")) == {
        "410823",
        "410823001000",
        "410823001001",
        "410823001002",
    }
    assert codes(search_regions(officer_county_north, "八街")) == set()


def test_visitors_may_not_browse_the_region_tree(visitor_north):
    with pytest.raises(PermissionDenied):
        browse_regions(visitor_north)
