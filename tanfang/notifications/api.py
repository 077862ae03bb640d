"""The inbox in the API: the caller's own messages, and marking them read."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tanfang.core.api_params import PageNumber, PageSize, RecordRef
from tanfang.core.paging import page_of
from tanfang.core.scope import actor_of
from tanfang.notifications.models import InboxMessage
from tanfang.notifications.selectors import inbox_of, unread_count
from tanfang.notifications.services import mark_read

router = Router(tags=["inbox"])


class InboxMessageOut(Schema):
    id: int
    body: str
    link: str
    urgent: bool
    created_at: dt.datetime
    read: bool

    @staticmethod
    def of(message: InboxMessage) -> InboxMessageOut:
        return InboxMessageOut(
            id=message.pk,
            body=message.body,
            link=message.link,
            urgent=message.urgent,
            created_at=message.created_at,
            read=message.read_at is not None,
        )


class InboxPageOut(Schema):
    unread: int
    page: int
    page_size: int
    has_next: bool
    items: list[InboxMessageOut]


class InboxQuery(Schema):
    page: PageNumber = 1
    page_size: PageSize = 50


@router.get("/inbox", response=InboxPageOut, summary="我的站内消息（最新在前）")
def list_inbox(request: HttpRequest, query: Query[InboxQuery]) -> InboxPageOut:
    actor = actor_of(request)
    page = page_of(inbox_of(actor), page=query.page, page_size=query.page_size)
    return InboxPageOut(
        unread=unread_count(actor),
        page=page.page,
        page_size=page.page_size,
        has_next=page.has_next,
        items=[InboxMessageOut.of(m) for m in page.items],
    )


class ReadIn(Schema):
    ids: list[RecordRef] | None = Field(None, max_length=500, description="要标为已读的消息编号；不填表示全部")


class ReadOut(Schema):
    marked: int
    unread: int


@router.post("/inbox/read", response=ReadOut, summary="把自己的消息标为已读")
def read_inbox(request: HttpRequest, payload: ReadIn) -> ReadOut:
    actor = actor_of(request)
    marked = mark_read(actor=actor, message_ids=list(payload.ids) if payload.ids is not None else None)
    return ReadOut(marked=marked, unread=unread_count(actor))
