"""Follow-ups, the providers who take them on, and the care services that close them.

A finding of a visit opens a follow-up through a rule of the visit's form template (`care.rules`);
an officer may open one by hand. A follow-up goes open → assigned → accepted → done, or is closed
with an outcome at any point before done. Its deadline comes from the region's policy for its kind
(`DeadlinePolicy`, inherited down the tree); the reminder and escalation moments are stored
timestamps that a periodic sweeper acts on. Every step is a `FollowUpEvent` and an audit event.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.elders.models import Elder
from tanfang.regions.models import Region, RegionOwned
from tanfang.visits.models import Visit


class ServiceKind(models.TextChoices):
    """What a provider offers, and what an elder may need (the structured 服务需求)."""

    DAILY_CARE = "daily_care", _("生活照料")
    REHABILITATION = "rehabilitation", _("康复护理")
    EMOTIONAL = "emotional", _("精神慰藉")
    RESCUE = "rescue", _("紧急救援")
    ADAPTATION = "adaptation", _("适老化改造")
    CAREGIVER_TRAINING = "caregiver_training", _("照护培训")


class ProviderCategory(models.TextChoices):
    ELDER_CARE = "elder_care", _("养老服务机构")
    MEDICAL = "medical", _("医疗卫生机构")
    TRAINING = "training", _("培训机构")
    SOCIAL_WORK = "social_work", _("社会工作服务机构")


class Provider(RegionOwned):
    """A service organisation. `region` is the area it serves (its subtree)."""

    name = models.CharField(_("机构名称"), max_length=100)
    category = models.CharField(_("机构类别"), max_length=16, choices=ProviderCategory.choices)
    kinds = models.JSONField(_("服务类别"), default=list)  # ServiceKind values
    contact_name = models.CharField(_("联系人"), max_length=50)
    contact_phone_cipher = models.BinaryField(null=True, blank=True)  # encrypted like every phone number
    contact_phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    active = models.BooleanField(_("在用"), default=True)
    # Accounts of the organisation's staff: they see and record the follow-ups assigned to it.
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("机构人员账号"), blank=True, related_name="providers"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务机构")
        verbose_name_plural = _("服务机构")
        indexes = [models.Index(fields=["region_path", "name"], name="provider_region_idx")]

    def __str__(self) -> str:
        return self.name


class ProviderContract(models.Model):
    """A government-purchased service contract (政府购买服务): a period and the kinds it covers."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="contracts")
    number = models.CharField(_("合同编号"), max_length=60)
    buyer = models.CharField(_("购买方"), max_length=100)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    kinds = models.JSONField(_("服务类别"), default=list)
    amount = models.DecimalField(_("金额（元）"), max_digits=12, decimal_places=2, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("购买服务合同")
        constraints = [
            models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="contract_period_order")
        ]

    def __str__(self) -> str:
        return self.number


class FollowUpKind(models.TextChoices):
    HAZARD = "hazard", _("安全隐患整改")
    REMINDER = "reminder", _("安全提醒")
    DOCTOR = "doctor", _("家庭医生转介")
    ECONOMIC = "economic", _("经济困难帮扶")
    ASSISTANCE = "assistance", _("协助申请救助")
    SUPPORTERS = "supporters", _("联系赡养人")
    PROVIDER = "provider", _("转介服务机构")
    HOUSEHOLD = "household", _("核实家庭变化")
    OTHER = "other", _("其他")


class FollowUpState(models.TextChoices):
    OPEN = "open", _("待分派")
    ASSIGNED = "assigned", _("已分派")
    ACCEPTED = "accepted", _("处理中")
    DONE = "done", _("已办结")
    CLOSED = "closed", _("已关闭")


LIVE_STATES = (FollowUpState.OPEN, FollowUpState.ASSIGNED, FollowUpState.ACCEPTED)


class Outcome(models.TextChoices):
    RESOLVED = "resolved", _("问题已解决")
    NOT_NEEDED = "not_needed", _("经核实无需跟进")
    DECLINED = "declined", _("老人或家属拒绝")
    TRANSFERRED = "transferred", _("已转其他部门")
    CANCELLED = "cancelled", _("探访未获认可，已撤销")
    OTHER = "other", _("其他")


class FollowUp(RegionOwned):
    """Something to act on for an elder. `region` is the elder's village."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="follow_ups")
    kind = models.CharField(_("类别"), max_length=12, choices=FollowUpKind.choices)
    service_kind = models.CharField(_("服务类别"), max_length=20, choices=ServiceKind.choices, blank=True)
    title = models.CharField(_("事项"), max_length=120)
    detail = models.TextField(_("说明"), blank=True)
    # The rule and the visit that opened it; both empty when an officer opened it by hand.
    rule = models.CharField(_("规则"), max_length=60, blank=True)
    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups")
    state = models.CharField(_("状态"), max_length=8, choices=FollowUpState.choices, default=FollowUpState.OPEN)
    owner_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    owner_provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="follow_ups"
    )
    owner_contact = models.CharField(_("机构联系人"), max_length=50, blank=True)
    opened_at = models.DateTimeField(_("发起时间"))
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    deadline = models.DateTimeField(_("办理时限"))
    remind_at = models.DateTimeField(null=True, blank=True)  # the sweeper reminds the owner then, once
    escalate_at = models.DateTimeField(null=True, blank=True)  # and tells the township then, once
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A hazard is re-checked at a later home visit by this day; each visit that finds it again moves it.
    recheck_by = models.DateField(_("复查期限"), null=True, blank=True)
    last_found_on = models.DateField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(_("结果"), max_length=12, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("结果说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("跟进事项")
        verbose_name_plural = _("跟进事项")
        indexes = [
            models.Index(fields=["region_path", "state"], name="followup_region_idx"),
            models.Index(fields=["elder", "rule"], name="followup_elder_rule_idx"),
            models.Index(
                fields=["remind_at"], name="followup_remind_idx", condition=models.Q(reminded_at__isnull=True)
            ),
            models.Index(
                fields=["escalate_at"], name="followup_escalate_idx", condition=models.Q(escalated_at__isnull=True)
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["visit", "rule"], condition=models.Q(visit__isnull=False), name="followup_once_per_visit_rule"
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def live(self) -> bool:
        return self.state in LIVE_STATES


class Finding(models.Model):
    """A later visit that found again what a live follow-up is about (the first finding is the follow-up's
    own `visit`): a step of its timeline. Unique per (visit, rule), like the follow-ups themselves."""

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="findings")
    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="+")
    rule = models.CharField(max_length=60)
    found_on = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["visit", "rule"], name="finding_once_per_visit_rule")]

    def __str__(self) -> str:
        return f"{self.visit_id} {self.rule}"


class FollowUpEvent(models.Model):
    """One step in a follow-up's timeline."""

    class Kind(models.TextChoices):
        OPENED = "opened", _("发起")
        FOUND_AGAIN = "found_again", _("再次发现")
        ASSIGNED = "assigned", _("分派")
        ACCEPTED = "accepted", _("接收")
        DONE = "done", _("办结")
        CLOSED = "closed", _("关闭")
        REMINDED = "reminded", _("到期提醒")
        ESCALATED = "escalated", _("逾期上报")
        CHASED = "chased", _("催办")
        SERVED = "served", _("关爱服务")

    follow_up = models.ForeignKey(FollowUp, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=12, choices=Kind.choices)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.follow_up_id} {self.kind}"


class DeadlinePolicy(models.Model):
    """How many days a kind of follow-up has in a region (and below it, unless set lower down)."""

    region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    region_path = models.CharField(max_length=100)
    kind = models.CharField(_("类别"), max_length=12, choices=FollowUpKind.choices)
    days = models.PositiveSmallIntegerField(_("办理时限（天）"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "kind"], name="deadline_policy_once")]

    def __str__(self) -> str:
        return f"{self.region_path} {self.kind} {self.days}"


class Satisfaction(models.TextChoices):
    VERY_SATISFIED = "very_satisfied", _("非常满意")
    SATISFIED = "satisfied", _("满意")
    FAIRLY = "fairly", _("基本满意")
    DISSATISFIED = "dissatisfied", _("不满意")
    VERY_DISSATISFIED = "very_dissatisfied", _("非常不满意")


SATISFACTION_SCORES = {
    Satisfaction.VERY_SATISFIED: 5,
    Satisfaction.SATISFIED: 4,
    Satisfaction.FAIRLY: 3,
    Satisfaction.DISSATISFIED: 2,
    Satisfaction.VERY_DISSATISFIED: 1,
}


class CareService(RegionOwned):
    """A care service given to an elder (section 6 of the record form). `region` is the elder's village."""

    elder = models.ForeignKey(Elder, on_delete=models.PROTECT, related_name="care_services")
    number = models.PositiveIntegerField(_("第几次关爱服务"))  # per elder, numbered under the elder's lock
    follow_up = models.ForeignKey(
        FollowUp, on_delete=models.PROTECT, null=True, blank=True, related_name="care_services"
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    served_on = models.DateField(_("服务日期"))
    content = models.TextField(_("服务内容"))
    server_name = models.CharField(_("服务人员"), max_length=50)
    server_signature = models.BinaryField(null=True, blank=True)  # PNG, drawn on the phone
    seal = models.BinaryField(null=True, blank=True)  # an uploaded seal image (PNG or JPEG)
    satisfaction = models.CharField(_("满意度"), max_length=20, choices=Satisfaction.choices)
    remarks = models.CharField(_("备注"), max_length=300, blank=True)
    client_id = models.UUIDField(null=True, blank=True, unique=True)  # an API client's id: sent twice, stored once
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("关爱服务")
        verbose_name_plural = _("关爱服务")
        constraints = [models.UniqueConstraint(fields=["elder", "number"], name="care_service_number_once")]
        indexes = [models.Index(fields=["region_path", "served_on"], name="care_service_region_idx")]

    def __str__(self) -> str:
        return f"{self.elder_id} #{self.number}"
