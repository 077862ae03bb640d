"""Visit policy data: festivals, policies, weather events, and each elder's computed due state."""

from __future__ import annotations

from django.conf import settings
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


class RegionPolicy(RegionOwned):
    """A region's visit policy. Regions below inherit it and may only make it stricter."""

    monthly_contacts = models.PositiveSmallIntegerField(_("每月至少探访次数"), default=1)
    count_home = models.BooleanField(_("上门探访计入"), default=True)
    count_phone = models.BooleanField(_("电话问候计入"), default=True)
    count_video = models.BooleanField(_("音视频探访计入"), default=True)
    count_other = models.BooleanField(_("其他方式计入"), default=False)
    disabled_home_visit_months = models.PositiveSmallIntegerField(_("失能老人上门探访间隔（月）"), default=3)
    high_risk_interval_days = models.PositiveSmallIntegerField(_("高风险老人探访间隔（天）"), default=7)
    pause_when_away = models.BooleanField(_("外出或住院期间暂停（否则电话、视频计入）"), default=False)
    festival_window_before = models.PositiveSmallIntegerField(_("节日前几天起须联系"), default=7)
    festival_window_after = models.PositiveSmallIntegerField(_("节日后几天内须联系"), default=0)
    festival_groups = models.CharField(_("节日须联系的类别（空为全部）"), max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("探访政策")
        constraints = [models.UniqueConstraint(fields=["region"], name="one_policy_per_region")]

    def __str__(self) -> str:
        return f"{self.region_id}"


class WeatherEvent(RegionOwned):
    """An extreme-weather warning declared by an officer: contact the chosen groups within the window."""

    class Kind(models.TextChoices):
        COLD_WAVE = "cold_wave", _("寒潮")
        HEAT_WAVE = "heat_wave", _("高温")
        RAINSTORM = "rainstorm", _("暴雨")
        SNOW = "snow", _("暴雪")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    groups = models.CharField(_("须联系的类别（空为全部）"), max_length=200, blank=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("极端天气")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.starts_on}–{self.ends_on}"


class ElderDue(models.Model):
    """The schedule's answer for one elder, as of `computed_on`; refreshed after every visit,
    status change and policy change, and every night. Whether an obligation is overdue or due
    soon on another day follows from `deadline`, so the rows do not go stale within a month.
    """

    elder = models.OneToOneField("elders.Elder", on_delete=models.CASCADE, primary_key=True, related_name="due")
    region_path = models.CharField(max_length=100)
    computed_on = models.DateField()
    month = models.DateField()  # the first day of the month the flags below are about
    in_denominator = models.BooleanField(default=False)
    visited = models.BooleanField(default=False)
    deadline = models.DateField(null=True, blank=True)  # the most urgent unmet obligation
    reason = models.CharField(max_length=16, blank=True)
    label = models.CharField(max_length=50, blank=True)
    obligations = models.JSONField(default=list)  # every unmet obligation: [deadline, reason, label]
    last_contact_on = models.DateField(null=True, blank=True)
    last_method = models.CharField(max_length=8, blank=True)

    class Meta:
        indexes = [
            # region_path has the "C" collation on PostgreSQL (migration), so prefix filters use these.
            models.Index(
                fields=["region_path", "month", "in_denominator", "visited"], name="elderdue_month_counts_idx"
            ),
            models.Index(fields=["region_path", "deadline"], name="elderdue_deadline_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.deadline}"


class RecomputeJob(models.Model):
    """A background recomputation of due states, with its progress for the page that started it."""

    region_path = models.CharField(max_length=100)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.region_path} {self.done}/{self.total}"
