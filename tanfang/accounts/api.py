"""Account endpoints: tokens, the caller, and user management."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, cast

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tanfang.accounts.models import User
from tanfang.accounts.selectors import can_manage, get_user_for, users_visible_to
from tanfang.accounts.services import (
    UserInput,
    create_user,
    issue_token,
    log_in,
    reset_two_factor,
    revoke_token,
    unlock_user,
    update_user,
)
from tanfang.accounts.user_filters import filter_users
from tanfang.core.api_params import REGION_CODE_PATTERN, Documented, PageNumber, PageSize, RecordId
from tanfang.core.client_ip import client_ip
from tanfang.core.paging import page_of
from tanfang.core.roles import Role
from tanfang.core.time import now

router = Router(tags=["accounts"])

RegionCodeText = Annotated[str, Documented(pattern=REGION_CODE_PATTERN)]  # looked up by the service: 404 if unknown


def user_of(request: HttpRequest) -> User:
    return cast(User, request.user)


class RegionRef(Schema):
    code: str
    name: str
    full_name: str


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    role: str
    role_label: str
    phone: str
    organisation: str
    is_active: bool
    locked: bool
    regions: list[RegionRef]
    can_edit: bool = False

    @staticmethod
    def of(user: User, viewer: User | None = None) -> UserOut:
        regions = [a.region for a in user.region_assignments.select_related("region").order_by("region_id")]
        return UserOut(
            id=user.pk,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            role_label=user.role_label,
            phone=user.phone_masked,
            organisation=user.organisation,
            is_active=user.is_active,
            locked=bool(user.locked_until and user.locked_until > now()),
            regions=[RegionRef(code=r.code, name=r.name, full_name=r.full_name) for r in regions],
            can_edit=bool(viewer and can_manage(viewer, user)),
        )


class TokenIn(Schema):
    username: str = Field(..., max_length=150)
    password: str = Field(..., max_length=200)
    otp: str = Field("", max_length=20, description="已启用两步验证的账号：验证器上的 6 位验证码，或一个恢复码")
    name: str = Field("", max_length=100, description="令牌用途，例如设备名称")


class TokenOut(Schema):
    token: str
    expires_at: dt.datetime
    user: UserOut


@router.post(
    "/auth/token",
    auth=None,
    response={201: TokenOut},
    summary="用用户名、密码（和两步验证码）换取接口令牌",
    description="已启用两步验证的账号须同时提供 otp；须修改初始密码或须启用两步验证的账号不签发令牌。",
)
def create_token(request: HttpRequest, payload: TokenIn) -> Status[TokenOut]:
    user = log_in(username=payload.username, password=payload.password, otp=payload.otp, ip_address=client_ip(request))
    token, raw = issue_token(user=user, name=payload.name, ip_address=client_ip(request))
    return Status(201, TokenOut(token=raw, expires_at=token.expires_at, user=UserOut.of(user)))


@router.delete("/auth/token", response={204: None}, summary="吊销当前使用的令牌")
def delete_token(request: HttpRequest) -> Status[None]:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        revoke_token(actor=user_of(request), raw=header[7:].strip())
    return Status(204, None)


@router.get("/me", response=UserOut, summary="当前用户")
def me(request: HttpRequest) -> UserOut:
    return UserOut.of(user_of(request), user_of(request))


class UserFilter(Schema):
    q: str = ""
    role: str = ""
    region: str = ""
    active: bool | None = None
    page: PageNumber = 1
    page_size: PageSize = 50


class UserPageOut(Schema):
    page: int
    page_size: int
    has_next: bool
    items: list[UserOut]


@router.get("/users", response=UserPageOut, summary="用户列表（本辖区）")
def list_users(request: HttpRequest, filters: Query[UserFilter]) -> UserPageOut:
    viewer = user_of(request)
    users = filter_users(
        users_visible_to(viewer), text=filters.q, role=filters.role, region=filters.region, active=filters.active
    )
    page = page_of(users.prefetch_related("region_assignments__region"), page=filters.page, page_size=filters.page_size)
    return UserPageOut(
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
        items=[UserOut.of(u, viewer) for u in page.items],
    )


class UserCreateIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: Annotated[str, Documented(minLength=10)] = Field(
        ..., max_length=200, description="初始密码：至少10个字符，不能是常见密码或与用户名相近；首次登录须修改"
    )
    display_name: str = Field(..., min_length=1, max_length=50)
    role: Role | None = Field(None, description="不填：待授权，由安全管理员授予角色")
    region_codes: list[RegionCodeText] = Field(..., min_length=1)
    phone: str = Field("", max_length=20)
    organisation: str = Field("", max_length=100)


@router.post("/users", response={201: UserOut}, summary="创建用户")
def create_user_endpoint(request: HttpRequest, payload: UserCreateIn) -> Status[UserOut]:
    actor = user_of(request)
    user = create_user(
        actor=actor,
        username=payload.username,
        password=payload.password,
        data=UserInput(
            display_name=payload.display_name,
            role=payload.role or "",
            region_codes=payload.region_codes,
            phone=payload.phone,
            organisation=payload.organisation,
        ),
    )
    return Status(201, UserOut.of(user, actor))


@router.get("/users/{user_id}", response=UserOut, summary="用户详情")
def get_user(request: HttpRequest, user_id: RecordId) -> UserOut:
    actor = user_of(request)
    return UserOut.of(get_user_for(actor, user_id), actor)


class UserPatchIn(Schema):
    display_name: str | None = Field(None, min_length=1, max_length=50)
    role: Role | None = None
    region_codes: Annotated[list[RegionCodeText], Documented(minItems=1)] | None = None
    phone: str | None = Field(None, max_length=20)
    organisation: str | None = Field(None, max_length=100)
    is_active: bool | None = None


@router.patch("/users/{user_id}", response=UserOut, summary="修改用户")
def patch_user(request: HttpRequest, user_id: RecordId, payload: UserPatchIn) -> UserOut:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    current = [a.region_id for a in user.region_assignments.all()]
    data = UserInput(
        display_name=payload.display_name if payload.display_name is not None else user.display_name,
        role=payload.role if payload.role is not None else user.role,
        region_codes=payload.region_codes if payload.region_codes is not None else current,
        phone=payload.phone or "",  # "" keeps the number there is
        organisation=payload.organisation if payload.organisation is not None else user.organisation,
        is_active=payload.is_active if payload.is_active is not None else user.is_active,
    )
    return UserOut.of(update_user(actor=actor, user=user, data=data), actor)


@router.post("/users/{user_id}/unlock", response=UserOut, summary="解除登录锁定")
def unlock_user_endpoint(request: HttpRequest, user_id: RecordId) -> UserOut:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    unlock_user(actor=actor, user=user)
    return UserOut.of(user, actor)


@router.post("/users/{user_id}/reset-two-factor", response=UserOut, summary="重置两步验证（安全管理员）")
def reset_two_factor_endpoint(request: HttpRequest, user_id: RecordId) -> UserOut:
    actor = user_of(request)
    user = get_user_for(actor, user_id)
    reset_two_factor(actor=actor, user=user)
    return UserOut.of(user, actor)
