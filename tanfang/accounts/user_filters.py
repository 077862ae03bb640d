"""The filters of the user list, shared by the page and the API."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tanfang.accounts.models import User


def filter_users(
    users: QuerySet[User], *, text: str = "", role: str = "", region: str = "", active: bool | None = None
) -> QuerySet[User]:
    """Narrow an already scoped user list by name, role, region subtree and active flag."""
    text = text.strip()
    if text:
        users = users.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
    if role:
        users = users.filter(role=role)
    if region:
        users = users.filter(region_assignments__region__path__contains=f"{region}/").distinct()
    if active is not None:
        users = users.filter(is_active=active)
    return users.order_by("username")
