"""The filled-in visit record form: templates as data, the record of each visit, its photos."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.records.formdefs import FormDefinition, parse_definition
from tanfang.regions.models import Region, RegionOwned
from tanfang.visits.models import Visit


class FormTemplate(models.Model):
    """One version of a visit form. Versions are never edited: a change is a new version.

    `region` is where the template is used (its subtree); none means everywhere without its own.
    """

    code = models.CharField(_("模板编码"), max_length=40)
    version = models.PositiveSmallIntegerField(_("版本"))
    name = models.CharField(_("名称"), max_length=100)
    definition = models.JSONField(_("内容"))
    region = models.ForeignKey(
        Region, verbose_name=_("适用区划"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    region_path = models.CharField(max_length=100, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("探访表单模板")
        verbose_name_plural = _("探访表单模板")
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="form_template_code_version")]

    def __str__(self) -> str:
        return f"{self.code} v{self.version}"

    @property
    def form(self) -> FormDefinition:
        cached = getattr(self, "_form", None)
        if cached is None:
            cached = parse_definition(self.definition)
            self._form = cached
        return cached


class ReviewState(models.TextChoices):
    NONE = "", _("无需审核")
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("核实无误")
    CORRECTED = "corrected", _("已更正")
    REJECTED = "rejected", _("不予认可")


class VisitRecord(RegionOwned):
    """What a visit found, on the template it was filled with; signatures; verification signals.

    `registry_snapshot` is the registry as the visit left it: what sections 1–4 of the printed form show
    (`records.snapshot`), numbers encrypted and masked as the registry keeps them. Empty only for a
    record stored before snapshots existed and not yet filled by migration 0005; its print falls back to
    the registry as it is now.
    """

    visit = models.OneToOneField(Visit, on_delete=models.PROTECT, primary_key=True, related_name="record")
    template = models.ForeignKey(FormTemplate, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("第几次探访"), null=True, blank=True)
    answers = models.JSONField(_("探访情况"), default=dict, blank=True)
    findings = models.JSONField(_("发现的问题"), default=list, blank=True)
    registry_confirmed = models.BooleanField(_("基本信息已核对"), default=False)
    corrections = models.JSONField(_("更正的基本信息"), default=list, blank=True)
    registry_snapshot = models.JSONField(_("探访时的基本信息"), default=dict, blank=True)

    checkin_at = models.DateTimeField(_("签到时间"), null=True, blank=True)
    checkin_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_accuracy_m = models.PositiveIntegerField(null=True, blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))

    visitor_signature = models.BinaryField(null=True, blank=True)
    elder_signature = models.BinaryField(null=True, blank=True)
    elder_unsigned_reason = models.CharField(_("老人未签字原因"), max_length=100, blank=True)
    entered_by_name = models.CharField(_("信息录入人"), max_length=50, blank=True)
    entry_signature = models.BinaryField(null=True, blank=True)

    flags = models.JSONField(_("核查提示"), default=list, blank=True)
    review_state = models.CharField(_("审核"), max_length=16, choices=ReviewState.choices, blank=True, default="")
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(_("审核意见"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("探访记录表")
        verbose_name_plural = _("探访记录表")
        indexes = [
            models.Index(
                fields=["region_path", "submitted_at"],
                name="record_review_queue_idx",
                condition=models.Q(review_state="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"record {self.visit_id}"


def photo_path(instance: VisitPhoto, filename: str) -> str:
    return f"visit-photos/{instance.elder_id}/{instance.sha256[:2]}/{instance.sha256}.jpg"


class VisitPhoto(models.Model):
    """A photo taken on a visit. A face is never required; the hash finds one photo used twice."""

    visit = models.ForeignKey(Visit, on_delete=models.PROTECT, related_name="photos")
    elder_id = models.BigIntegerField(db_index=False)
    visitor_id = models.BigIntegerField(null=True)
    image = models.FileField(upload_to=photo_path)
    sha256 = models.CharField(max_length=64)
    phash = models.CharField(_("感知哈希"), max_length=16)
    size = models.PositiveIntegerField()
    # Where the photo says it was taken (EXIF), read on upload; the stored file no longer carries it.
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["phash"], name="visit_photo_phash_idx"),
            models.Index(fields=["visitor_id", "created_at"], name="visit_photo_visitor_idx"),
        ]

    def __str__(self) -> str:
        return f"photo {self.pk} of visit {self.visit_id}"
