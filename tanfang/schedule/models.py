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
    count_declined = models.BooleanField(_("不愿接受探访的老人计入应探访人数"), default=False)
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
    month = models.DateField()  # the first day of `computed_on`'s month (the month's figures: MonthDue)
    deadline = models.DateField(null=True, blank=True)  # the most urgent unmet obligation
    reason = models.CharField(max_length=16, blank=True)
    label = models.CharField(max_length=50, blank=True)
    obligations = models.JSONField(default=list)  # every unmet obligation: [deadline, reason, label]
    last_contact_on = models.DateField(null=True, blank=True)
    last_method = models.CharField(max_length=8, blank=True)

    class Meta:
        indexes = [
            # region_path has the "C" collation on PostgreSQL (migration), so prefix filters use these.
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


# --- the month's figures: per elder, per region, frozen at close ---------------------------------------


class MonthDue(models.Model):
    """One elder's month, as `schedule/due.py` and the records say: the obligation row behind every
    figure. Kept for every month (the refresh recomputes the last `months.WINDOW` months); a month with
    nothing to say about an elder has no row. `region_path` is the elder's village path.
    """

    # No foreign key in the database (decision 0016): the rows are derived, written only from elders just
    # read, and a key check locks every elder row written for: 5 s of a province's first month. Deleting an
    # elder through the ORM still deletes its rows.
    elder = models.ForeignKey(
        "elders.Elder", on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    month = models.DateField()  # the month's first day
    region_path = models.CharField(max_length=100)
    cohort = models.PositiveSmallIntegerField(default=0)  # groups and high risk as bits (months.cohort_of)
    to_visit = models.BooleanField(default=False)  # in the month's denominator
    visited = models.BooleanField(default=False)
    method = models.CharField(max_length=8, blank=True)  # the strongest counted contact: home, video, phone, other
    declined = models.BooleanField(default=False)  # left out only because the elder declined visits
    contacts = models.PositiveSmallIntegerField(default=0)  # counted contacts
    attempts = models.PositiveSmallIntegerField(default=0)  # nobody home, refused, in hospital, moved
    flagged = models.PositiveSmallIntegerField(default=0)  # visits the verification flagged
    pending = models.PositiveSmallIntegerField(default=0)  # reviews waiting
    confirmed = models.PositiveSmallIntegerField(default=0)  # reviewed: confirmed or corrected
    rejected = models.PositiveSmallIntegerField(default=0)  # reviewed: rejected
    fu_opened = models.PositiveSmallIntegerField(default=0)
    fu_done = models.PositiveSmallIntegerField(default=0)
    fu_overdue = models.PositiveSmallIntegerField(default=0)  # due in the month, not done by the deadline
    services = models.PositiveSmallIntegerField(default=0)
    satisfaction_sum = models.PositiveIntegerField(default=0)  # 1 (very unsatisfied) … 5 (very satisfied)
    satisfaction_n = models.PositiveSmallIntegerField(default=0)
    incidents = models.PositiveSmallIntegerField(default=0)
    visitors = models.JSONField(default=list)  # ids of the visitors who recorded visits or attempts

    class Meta:
        constraints = [models.UniqueConstraint(fields=["elder", "month"], name="monthdue_elder_month")]
        indexes = [models.Index(fields=["month", "region_path"], name="monthdue_month_region_idx")]

    def __str__(self) -> str:
        return f"{self.elder_id} {self.month:%Y-%m}"


class FactCells(models.Model):
    """The counts of one (region, month, cohort): sums of the MonthDue rows below the region."""

    region_path = models.CharField(max_length=100)  # the region's own path, at any level
    parent_path = models.CharField(max_length=100)  # "" for a province
    month = models.DateField()
    cohort = models.PositiveSmallIntegerField()
    elders = models.IntegerField(default=0)  # MonthDue rows
    to_visit = models.IntegerField(default=0)
    visited = models.IntegerField(default=0)
    visited_home = models.IntegerField(default=0)
    visited_video = models.IntegerField(default=0)
    visited_phone = models.IntegerField(default=0)
    visited_other = models.IntegerField(default=0)
    declined = models.IntegerField(default=0)
    contacts = models.IntegerField(default=0)
    attempts = models.IntegerField(default=0)
    flagged = models.IntegerField(default=0)
    pending = models.IntegerField(default=0)
    confirmed = models.IntegerField(default=0)
    rejected = models.IntegerField(default=0)
    fu_opened = models.IntegerField(default=0)
    fu_done = models.IntegerField(default=0)
    fu_overdue = models.IntegerField(default=0)
    services = models.IntegerField(default=0)
    satisfaction_sum = models.IntegerField(default=0)
    satisfaction_n = models.IntegerField(default=0)
    incidents = models.IntegerField(default=0)

    class Meta:
        abstract = True


class MonthFact(FactCells):
    """The live figures, kept up by the due refresh (months.apply) and rebuilt by `rebuild_facts`."""

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_path", "month", "cohort"], name="monthfact_key")]
        indexes = [models.Index(fields=["parent_path", "month"], name="monthfact_children_idx")]

    def __str__(self) -> str:
        return f"{self.region_path} {self.month:%Y-%m} {self.cohort}"


class VisitorMonth(models.Model):
    """A visitor active in a region (at any level) in a month: how many of its elders' month rows name it.
    A region's visitors active are its rows with a count above zero."""

    visitor_id = models.BigIntegerField()
    month = models.DateField()
    region_path = models.CharField(max_length=100)  # the region's path: a village's and every one above
    rows = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visitor_id", "month", "region_path"], name="visitormonth_key")]
        indexes = [models.Index(fields=["month", "region_path"], name="visitormonth_month_region_idx")]

    def __str__(self) -> str:
        return f"{self.visitor_id} {self.month:%Y-%m} {self.region_path}"


class VillageMonth(models.Model):
    """A village's month in two numbers, summed over its cohorts: today's board lists the villages below
    target without adding up every cohort of every village under a province."""

    month = models.DateField()
    region_path = models.CharField(max_length=100)  # the village's path (where its elders are registered)
    to_visit = models.IntegerField(default=0)
    visited = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["month", "region_path"], name="villagemonth_key")]
        indexes = [
            models.Index(
                fields=["month", "region_path"], name="villagemonth_subtree_idx", opclasses=["", "varchar_pattern_ops"]
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_path} {self.month:%Y-%m} {self.visited}/{self.to_visit}"


class MonthClose(models.Model):
    """A month closed for a province: its figures are frozen in ClosedFact rows. Re-opening lets the
    live figures show again; closing again takes a new snapshot. Both are audited."""

    region_path = models.CharField(max_length=100)  # the province's path
    month = models.DateField()
    closed = models.BooleanField(default=True)
    closed_at = models.DateTimeField()
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )  # null: closed by the schedule, `grace days` after the month ended
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=200, blank=True)  # why it was re-opened or closed again

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region_path", "month"], name="monthclose_key")]

    def __str__(self) -> str:
        return f"{self.region_path} {self.month:%Y-%m} {'closed' if self.closed else 'open'}"


class ClosedFact(FactCells):
    """The figures of a closed month, as they were when it closed."""

    close = models.ForeignKey(MonthClose, on_delete=models.CASCADE, related_name="facts")
    visitors_active = models.IntegerField(default=0)  # on the cohort ALL row only (months.ALL_COHORTS)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["close", "region_path", "cohort"], name="closedfact_key")]
        indexes = [
            models.Index(fields=["region_path", "month"], name="closedfact_region_idx"),
            models.Index(fields=["parent_path", "month"], name="closedfact_children_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.region_path} {self.month:%Y-%m} {self.cohort} (closed)"


class Correction(models.Model):
    """A record dated in a closed month that arrived (or was reviewed) after it closed: shown apart
    as 补录 until the month is closed again."""

    class Kind(models.TextChoices):
        LATE_RECORD = "late_record", _("月结后补录")
        REVIEW = "review", _("月结后审核")

    region_path = models.CharField(max_length=100)  # the elder's village path
    month = models.DateField()
    elder = models.ForeignKey("elders.Elder", on_delete=models.CASCADE, related_name="+")
    visit = models.ForeignKey("visits.Visit", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    reason = models.CharField(max_length=200, blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    at = models.DateTimeField()
    absorbed_by = models.ForeignKey(
        MonthClose, on_delete=models.SET_NULL, null=True, blank=True, related_name="absorbed"
    )  # set when the month is closed again with this correction counted
    absorbed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["month", "region_path"], name="correction_month_region_idx")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.kind} {self.elder_id}"
