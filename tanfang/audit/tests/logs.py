"""Audit events at chosen moments, for the audit tests (the `may_log` fixture is in conftest.py)."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.db import transaction

from tanfang.audit.actions import Action
from tanfang.audit.models import AuditEvent
from tanfang.audit.services import record_event

MAY = {"date_from": dt.date(2026, 5, 1), "date_to": dt.date(2026, 5, 31)}
EXPORTED_AT = dt.datetime(2026, 6, 10, 2, 0, tzinfo=dt.UTC)  # 10:00 in Beijing
HEADER = ["时间", "操作人", "操作", "对象类型", "对象编号", "对象", "区划路径", "IP 地址", "变更", "详情"]
JIANSHE = "410000/410800/410823/410823001000/410823001001/"
BAJIE = "410000/410800/410822/410822001000/410822001001/"


def event_at(at: dt.datetime, *, actor=None, action=Action.USER_UPDATED, region_path=JIANSHE, **values) -> AuditEvent:
    values.setdefault("subject_type", "accounts.user")
    values.setdefault("subject_id", "7")
    values.setdefault("subject_label", "建设社区工作人员")
    with time_machine.travel(at, tick=False), transaction.atomic():
        return record_event(actor=actor, action=action, region_path=region_path, **values)
