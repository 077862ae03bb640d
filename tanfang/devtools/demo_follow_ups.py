"""Demo follow-ups: what the demo county's recent visits found, through the real rules and services, then
moved along their lifecycle so that every state shows, some of them overdue."""

from __future__ import annotations

import datetime as dt
import random

from django.db import transaction

from tanfang.accounts.models import User
from tanfang.care.models import FollowUp, FollowUpKind, FollowUpState, Provider
from tanfang.care.services import (
    accept_follow_up,
    assign_follow_up,
    assignable_providers,
    assignable_users,
    close_follow_up,
    complete_follow_up,
    open_follow_ups,
)
from tanfang.core.roles import Role
from tanfang.core.time import now
from tanfang.elders.due_queue import queue_due_refresh
from tanfang.records.models import VisitRecord
from tanfang.records.services import findings_of
from tanfang.regions.models import Region
from tanfang.visitors.models import Pairing

RECENT_DAYS = 45
PREFERRED = {Role.VILLAGE_WORKER.value: 0, Role.TOWNSHIP_OFFICER.value: 1}  # who takes what no visitor can


def seed_follow_ups(*, county: Region, seed: int, limit: int = 120) -> int:
    """Open the follow-ups of the county's recent visits (at most `limit` visits); safe to run again."""
    if FollowUp.objects.filter(region_path__startswith=county.path).exists():
        return 0
    rng = random.Random(f"{seed}:follow-ups")
    since = now().date() - dt.timedelta(days=RECENT_DAYS)
    records = list(
        VisitRecord.objects.filter(region_path__startswith=county.path, visit__day__gte=since, visit__rejected=False)
        .exclude(findings=[])
        .select_related("visit", "visit__elder", "template")
        .order_by("visit__occurred_at")[:limit]
    )
    officer = User.objects.filter(role=Role.COUNTY_OFFICER, region_assignments__region=county).first()
    with transaction.atomic():
        opened = open_follow_ups(
            actor=None,
            found=[findings_of(r.visit, r.visit.elder, r.template, r.answers) for r in records],
        )
        queue_due_refresh(elder_ids=[fu.elder_id for fu in opened if fu.recheck_by])
    if officer is None:
        return len(opened)
    visitors = {
        p.elder_id: p.visitor.user
        for p in Pairing.objects.filter(ended_on__isnull=True, visitor__user__isnull=False).select_related(
            "visitor__user"
        )
        if p.visitor.user is not None
    }
    moment = now()
    for index, fu in enumerate(opened):
        nearby = sorted(assignable_users(fu), key=lambda u: (PREFERRED.get(u.role, 9), u.pk))
        owner = visitors.get(fu.elder_id) or (nearby[0] if nearby else None)
        step = index % 6
        if step == 0 or owner is None:
            continue  # open, waiting for someone to take it
        provider = _provider_for(fu)
        if provider is not None:  # a referral goes to a provider of its kind, and its staff work on it
            assign_follow_up(actor=officer, follow_up_id=fu.pk, provider_id=provider.pk)
            owner = provider.staff.order_by("pk").first() or owner
        else:
            assign_follow_up(actor=officer, follow_up_id=fu.pk, user_id=owner.pk)
        if step == 1:
            continue  # assigned
        accept_follow_up(actor=owner, follow_up_id=fu.pk)
        if step == 2:
            continue  # being worked on
        if step == 3:
            complete_follow_up(
                actor=owner, follow_up_id=fu.pk, note=rng.choice(["已上门处理", "已电话联系家属", "已协助办理"])
            )
        elif step == 4:
            close_follow_up(actor=officer, follow_up_id=fu.pk, outcome=rng.choice(["not_needed", "declined"]))
        else:  # overdue: opened long ago, its deadline passed
            FollowUp.objects.filter(pk=fu.pk, state=FollowUpState.ACCEPTED).update(
                opened_at=moment - dt.timedelta(days=20), deadline=moment - dt.timedelta(days=5)
            )
    return len(opened)


def _provider_for(fu: FollowUp) -> Provider | None:
    if fu.kind != FollowUpKind.PROVIDER:
        return None
    for provider in assignable_providers(fu).filter(staff__isnull=False).distinct():
        if fu.service_kind in provider.kinds:
            return provider
    return None
