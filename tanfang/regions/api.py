"""Region tree endpoints: thin wrappers over regions.selectors."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema

from tanfang.core.api_params import RegionCodeInPath
from tanfang.core.scope import actor_of
from tanfang.regions.models import Region
from tanfang.regions.selectors import browse_regions, search_regions

router = Router(tags=["regions"])


class RegionOut(Schema):
    code: str
    name: str
    level: int
    level_label: str
    parent_code: str | None
    full_name: str
    child_count: int | None = None

    @staticmethod
    def of(region: Region) -> RegionOut:
        return RegionOut(
            code=region.code,
            name=region.name,
            level=region.level,
            level_label=str(region.get_level_display()),
            parent_code=region.parent_id,
            full_name=region.full_name,
            child_count=getattr(region, "child_count", None),
        )


class RegionTreeOut(Schema):
    region: RegionOut | None
    breadcrumbs: list[RegionOut]
    children: list[RegionOut]


def _tree(request: HttpRequest, code: str | None) -> RegionTreeOut:
    view = browse_regions(actor_of(request), code)
    return RegionTreeOut(
        region=RegionOut.of(view.region) if view.region else None,
        breadcrumbs=[RegionOut.of(r) for r in view.breadcrumbs],
        children=[RegionOut.of(r) for r in view.children],
    )


@router.get("", response=RegionTreeOut, summary="我的顶层区划")
def list_top_regions(request: HttpRequest) -> RegionTreeOut:
    return _tree(request, None)


@router.get("/search", response=list[RegionOut], summary="按名称或代码查找区划")
def find_regions(request: HttpRequest, q: str) -> list[RegionOut]:
    return [RegionOut.of(r) for r in search_regions(actor_of(request), q)]


@router.get("/{code}", response=RegionTreeOut, summary="区划及其下级")
def get_region(request: HttpRequest, code: RegionCodeInPath) -> RegionTreeOut:
    return _tree(request, code)
