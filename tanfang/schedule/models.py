"""Visit policy data. For now: the solar-calendar festivals a region adds to the traditional six."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.regions.models import RegionOwned


class RegionFestival(RegionOwned):
    """A festival on a fixed solar date, for a region and everything below it (e.g. 敬老节活动 on 10-01)."""

    name = models.CharField(_("名称"), max_length=50)
    month = models.PositiveSmallIntegerField(_("月"))
    day = models.PositiveSmallIntegerField(_("日"))
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("地方节日")
        constraints = [
            models.UniqueConstraint(fields=["region", "month", "day", "name"], name="region_festival_unique"),
            models.CheckConstraint(
                condition=models.Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31),
                name="region_festival_valid_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:02d}-{self.day:02d} {self.name}"
