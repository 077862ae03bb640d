"""Demo visitors, pairings and twelve months of past visits with realistic gaps."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict

from django.db import transaction
from django.db.models import Exists, OuterRef

from tanfang.accounts.models import User
from tanfang.core.bulk import insert_instances
from tanfang.core.time import LOCAL_TZ, local_today
from tanfang.elders.models import Elder, Status
from tanfang.regions.models import Region
from tanfang.schedule.due import add_months
from tanfang.schedule.services import refresh_due
from tanfang.visitors.contact import store_phone
from tanfang.visitors.models import Pairing, Visitor, VisitorKind
from tanfang.visitors.services import ENDED_STATUSES
from tanfang.visits.models import Method, Outcome, Visit

_KINDS = [VisitorKind.GRID_WORKER, VisitorKind.VILLAGE_CADRE, VisitorKind.SOCIAL_WORKER, VisitorKind.VOLUNTEER]


def seed_visitors_and_visits(
    *, county: Region, seed: int, visitor_username: str = "visitor", today: dt.date | None = None
) -> tuple[int, int]:
    """Give every demo village with elders a visitor, pair every elder of the county left unpaired,
    and add a year of visits for those who have none yet. Safe to run again.

    Unpaired means what the officers' 未结对 list means (`visitors.selectors.unpaired_elders`):
    not merged, not moved out or deceased, and no open primary pairing. An open backup pairing
    with the village's visitor becomes the primary one. The demo log-in `visitor_username`
    becomes the visitor of its village. Returns (pairings created or promoted, visits created).
    """
    rng = random.Random(f"{seed}:visits")
    today = today or local_today()
    primary = Pairing.objects.filter(elder=OuterRef("pk"), ended_on__isnull=True, role=Pairing.Role.PRIMARY)
    unpaired = (
        Elder.objects.filter(region_path__startswith=county.path, merged_into__isnull=True)
        .exclude(status__in=ENDED_STATUSES)
        .exclude(Exists(primary))
    )
    elders = list(unpaired.order_by("pk"))
    demo_user = User.objects.filter(username=visitor_username).first()
    if not elders:
        _link_demo_user(demo_user)
        return 0, 0
    by_village: dict[str, list[Elder]] = defaultdict(list)
    for elder in elders:
        by_village[elder.region_id].append(elder)
    villages = {r.code: r for r in Region.objects.filter(code__in=list(by_village))}
    visited = set(Visit.objects.filter(elder__in=unpaired).values_list("elder_id", flat=True).distinct())
    backups = {
        (elder_id, visitor_id): pk
        for pk, elder_id, visitor_id in Pairing.objects.filter(
            region_path__startswith=county.path, ended_on__isnull=True, role=Pairing.Role.BACKUP
        ).values_list("pk", "elder_id", "visitor_id")
    }
    pairings: list[Pairing] = []
    promoted: list[int] = []
    visits: list[Visit] = []
    with transaction.atomic():
        for code, members in sorted(by_village.items()):
            village = villages[code]
            visitor = Visitor.objects.filter(region=village).order_by("pk").first()
            if visitor is None:
                visitor = Visitor(
                    name=f"{village.name[:6]}网格员",
                    kind=rng.choice(_KINDS),
                    organisation=f"{village.name}",
                    capacity=max(20, len(members) + 10),
                    region=village,
                    region_path=village.path,
                )
                store_phone(visitor, f"139{rng.randrange(10**8):08d}")
                visitor.save()
                visitor.served.set([village])
            for elder in members:
                backup = backups.get((elder.pk, visitor.pk))
                if backup is not None:  # one open pairing per elder and visitor: it becomes the primary
                    promoted.append(backup)
                else:
                    pairings.append(
                        Pairing(
                            elder=elder,
                            visitor=visitor,
                            role=Pairing.Role.PRIMARY,
                            started_on=max(elder.registered_on, today - dt.timedelta(days=400)),
                            region=elder.region,
                            region_path=elder.region_path,
                        )
                    )
                if elder.pk not in visited:
                    visits.extend(_visits_for(rng, elder, visitor, today))
        insert_instances(Pairing, pairings)
        Pairing.objects.filter(pk__in=promoted).update(role=Pairing.Role.PRIMARY)
        insert_instances(Visit, visits)
        _link_demo_user(demo_user)
    refresh_due(Elder.objects.filter(region_path__startswith=county.path).values_list("pk", flat=True), today)
    return len(pairings) + len(promoted), len(visits)


def _link_demo_user(user: User | None) -> None:
    """Make the demo log-in, assigned to one village, the first visitor of that village (once)."""
    if user is None or Visitor.objects.filter(user=user).exists() or len(user.region_paths()) != 1:
        return
    visitor = Visitor.objects.filter(region_path=user.region_paths()[0]).order_by("pk").first()
    if visitor is not None and visitor.user_id is None:  # the one its village's elders are paired with
        visitor.user = user
        visitor.name = user.display_name or visitor.name
        visitor.save(update_fields=["user", "name"])


def _visits_for(rng: random.Random, elder: Elder, visitor: Visitor, today: dt.date) -> list[Visit]:
    """About one contact a month since registration, some months missed, a few attempts; none in the future."""
    result = []
    diligent = rng.random()  # some elders are visited faithfully, some often missed
    month = add_months(today.replace(day=1), -12)
    last_day = today if elder.status not in (Status.DECEASED, Status.MOVED_OUT) else (elder.status_since or today)
    while month <= today:
        if rng.random() < 0.6 + 0.38 * diligent:
            for _ in range(1 if rng.random() < 0.8 else 2):
                day = month + dt.timedelta(days=rng.randrange(28))
                if not elder.registered_on <= day < last_day:
                    continue
                moment = dt.datetime(
                    day.year, day.month, day.day, rng.randint(8, 18), rng.randrange(60), tzinfo=LOCAL_TZ
                )
                attempt = rng.random() < 0.05
                result.append(
                    Visit(
                        elder=elder,
                        visitor=visitor,
                        method=Method.HOME if rng.random() < 0.65 else Method.PHONE,
                        outcome=rng.choice([Outcome.NOBODY_HOME, Outcome.REFUSED]) if attempt else Outcome.VISITED,
                        occurred_at=moment,
                        day=day,
                        minutes=rng.randint(10, 60),
                        client_id=uuid.UUID(int=rng.getrandbits(128)),
                        region=elder.region,
                        region_path=elder.region_path,
                    )
                )
        month = add_months(month, 1)
    return result
