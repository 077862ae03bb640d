"""Incidents (紧急事件), their call attempts and timelines, and township duty rosters.

An incident is region-owned like its elder (`region` is the elder's village). Its escalation deadline
is a stored timestamp, `next_escalation_at`, acted on by the sweeper (`services.escalate_due`); at most
one incident per elder is open at a time, so a double tap on the emergency button opens one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.elders.models import Elder, EmergencyContact
from tanfang.regions.models import RegionOwned


class Incident(RegionOwned):
    class Kind(models.TextChoices):
        MEDICAL = "medical", _("医疗急症")
        FALL = "fall", _("跌倒")
        FIRE_GAS = "fire_gas", _("火灾/燃气")
        MISSING = "missing", _("走失")
        OTHER = "other", _("其他")

    class State(models.TextChoices):
        OPEN = "open", _("处理中")
        CLOSED = "closed", _("已结案")

    class Disposition(models.TextChoices):
        HOSPITAL = "hospital", _("已送医救治")
        TREATED = "treated", _("现场处置，无需送医")
        FAMILY = "family", _("已由家属接手")
        FOUND = "found", _("已找到老人")
        HAZARD_REMOVED = "hazard_removed", _("险情已排除")
        FALSE_ALARM = "false_alarm", _("误报")
        DECEASED = "deceased", _("老人已去世")
        OTHER = "other", _("其他")

    elder = models.ForeignKey(Elder, verbose_name=_("老年人"), on_delete=models.PROTECT, related_name="incidents")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    description = models.TextField(_("情况说明"), blank=True)
    opened_at = models.DateTimeField(_("报告时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    opened_by_label = models.CharField(_("报告人"), max_length=150)
    # The escalation ladder (alerts.ladder): steps taken so far, and when the next one is due.
    escalation_step = models.PositiveSmallIntegerField(_("已升级级数"), default=0)
    next_escalation_at = models.DateTimeField(_("下次升级时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_by_label = models.CharField(_("结案人"), max_length=150, blank=True)
    disposition = models.CharField(_("处置结果"), max_length=16, choices=Disposition.choices, blank=True)
    account = models.TextField(_("处置经过"), blank=True)

    class Meta:
        verbose_name = _("紧急事件")
        verbose_name_plural = _("紧急事件")
        constraints = [
            models.UniqueConstraint(
                fields=["elder"], condition=models.Q(state="open"), name="incident_one_open_per_elder"
            )
        ]
        indexes = [
            models.Index(fields=["state", "next_escalation_at"], name="incident_due_idx"),
            models.Index(fields=["region_path", "id"], name="incident_region_path_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.elder.name} · {self.get_kind_display()}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN


class CallAttempt(models.Model):
    """One call made for an incident: to whom, the number (masked), and what came of it."""

    class Target(models.TextChoices):
        AMBULANCE = "120", _("120 急救")
        POLICE = "110", _("110 报警")
        FIRE = "119", _("119 火警")
        ELDER = "elder", _("老人本人")
        CONTACT = "contact", _("紧急联系人")
        OTHER = "other", _("其他号码")

    class Outcome(models.TextChoices):
        ANSWERED = "answered", _("已接通")
        NO_ANSWER = "no_answer", _("无人接听")
        WRONG_NUMBER = "wrong_number", _("号码错误")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="calls")
    at = models.DateTimeField(_("时间"))
    caller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    caller_label = models.CharField(_("拨打人"), max_length=150)
    target = models.CharField(_("对象"), max_length=8, choices=Target.choices)
    contact = models.ForeignKey(EmergencyContact, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    callee_label = models.CharField(_("被叫"), max_length=100)
    number_masked = models.CharField(_("号码"), max_length=20, blank=True)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("紧急呼叫")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.callee_label} {self.get_outcome_display()}"


class TimelineEntry(models.Model):
    """One line of an incident's history, in the order things happened; never changed afterwards."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("报告")
        NOTIFIED = "notified", _("通知")
        CALL = "call", _("呼叫")
        NOTE = "note", _("记录")
        ESCALATED = "escalated", _("升级")
        CLOSED = "closed", _("结案")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    actor_label = models.CharField(_("操作人"), max_length=150)
    text = models.TextField(_("内容"))
    call = models.OneToOneField(CallAttempt, on_delete=models.CASCADE, null=True, blank=True, related_name="entry")
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("紧急事件记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return self.text


class DutyShift(RegionOwned):
    """Someone on duty for a township (`region`) from `starts_at` until `ends_at`."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("值班人员"), on_delete=models.PROTECT, related_name="duty_shifts"
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by_label = models.CharField(_("安排人"), max_length=150)

    class Meta:
        verbose_name = _("值班安排")
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["region", "ends_at"], name="duty_region_ends_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="duty_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.user_id} {self.starts_at:%Y-%m-%d %H:%M}"
