"""Visitors (探访关爱服务人员) and the pairing (结对) of each elder with them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.elders.models import Elder, Status
from tanfang.regions.models import Region, RegionOwned


class VisitorKind(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员")
    SOCIAL_WORKER = "social_worker", _("社会工作者")
    VOLUNTEER = "volunteer", _("志愿者")
    FAMILY_DOCTOR = "family_doctor", _("家庭医生")
    CARE_STAFF = "care_staff", _("养老服务人员")
    PROPERTY_STAFF = "property_staff", _("物业服务人员")
    FIREFIGHTER = "firefighter", _("消防救援人员")
    PARTY_MEMBER = "party_member", _("老党员")
    YOUNGER_ELDER = "younger_elder", _("低龄健康老年人")
    RELATIVE_NEIGHBOUR = "relative_neighbour", _("亲属邻里")
    STUDENT = "student", _("在校学生")
    VILLAGE_CADRE = "village_cadre", _("村（社区）干部")


# Kinds whose service hours are tallied (and can later be certified).
HOURS_KINDS = frozenset({VisitorKind.VOLUNTEER, VisitorKind.STUDENT})
# Elders no longer visited at all: nobody is paired with them.
ENDED_STATUSES = (Status.MOVED_OUT, Status.DECEASED)


PHONE_CONTEXT = "visitors.phone"


class Visitor(RegionOwned):
    """Someone who visits elders. `region` is where the visitor is based; `served` lists where they visit."""

    name = models.CharField(_("姓名"), max_length=50)
    kind = models.CharField(_("类别"), max_length=24, choices=VisitorKind.choices)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    # Encrypted like elders' numbers (context PHONE_CONTEXT); only the mask is plain.
    phone_cipher = models.BinaryField(_("联系电话（密文）"), null=True, blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    served = models.ManyToManyField(Region, verbose_name=_("服务区域"), related_name="+", blank=True)
    capacity = models.PositiveSmallIntegerField(_("最多结对人数"), default=20)
    active = models.BooleanField(_("在岗"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("登录账号"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visitor",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("探访关爱服务人员")
        verbose_name_plural = _("探访关爱服务人员")
        indexes = [models.Index(fields=["region_path", "id"], name="visitor_region_path_idx")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_kind_display()}）"


class Pairing(RegionOwned):
    """An elder paired with a visitor (结对), primary or backup, from one day until ended.

    `region` is the elder's village. History is kept: ending a pairing sets `ended_on`.
    """

    class Role(models.TextChoices):
        PRIMARY = "primary", _("主要探访人")
        BACKUP = "backup", _("备用探访人")

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="pairings")
    visitor = models.ForeignKey(Visitor, on_delete=models.PROTECT, related_name="pairings")
    role = models.CharField(_("角色"), max_length=8, choices=Role.choices)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    end_reason = models.CharField(_("结束原因"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("结对")
        constraints = [
            models.UniqueConstraint(
                fields=["elder"],
                condition=models.Q(role="primary", ended_on__isnull=True),
                name="one_open_primary_per_elder",
            ),
            models.UniqueConstraint(
                fields=["elder", "visitor"],
                condition=models.Q(ended_on__isnull=True),
                name="one_open_pairing_per_elder_and_visitor",
            ),
        ]
        indexes = [
            models.Index(fields=["visitor", "ended_on"], name="pairing_visitor_open_idx"),
            models.Index(fields=["elder", "ended_on"], name="pairing_elder_open_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.elder_id}↔{self.visitor_id} {self.role}"
