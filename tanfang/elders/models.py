"""The elder registry (台账): sections 1–4 of the record form, and what a registry needs besides.

Personal data (ID numbers, phone numbers, disability certificate numbers) is stored three
ways: SM4-GCM ciphertext, an SM3-HMAC blind index for exact search where one is needed,
and a masked copy for lists. Rows below the elder (groups, contacts, household…) are
reached only through their elder, which carries the region.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.core.id_numbers import Sex
from tanfang.regions.models import Region, RegionOwned

ID_NUMBER_CONTEXT = "elders.id_number"
PHONE_CONTEXT = "elders.phone"
CERTIFICATE_CONTEXT = "elders.disability_certificate"
MEMBER_ID_CONTEXT = "elders.member_id_number"
CONTACT_PHONE_CONTEXT = "elders.contact_phone"
IMPORT_FILE_CONTEXT = "elders.import_file"


class Group(models.TextChoices):
    """The six groups of elders in special difficulty; one elder may be in several."""

    LIVING_ALONE = "living_alone", _("独居")
    EMPTY_NEST = "empty_nest", _("空巢")
    LEFT_BEHIND = "left_behind", _("留守")
    DISABLED = "disabled", _("失能")
    SEVERELY_HANDICAPPED = "severely_handicapped", _("重残")
    SPECIAL_FAMILY = "special_family", _("计划生育特殊家庭")


class GroupSource(models.TextChoices):
    VILLAGE_SURVEY = "village_survey", _("村（居）摸排")
    CIVIL_AFFAIRS = "civil_affairs", _("民政台账")
    HEALTH_COMMISSION = "health_commission", _("卫生健康部门")
    DISABLED_FEDERATION = "disabled_federation", _("残疾人联合会")
    ASSESSMENT = "assessment", _("能力评估")
    OTHER = "other", _("其他")


class Status(models.TextChoices):
    ACTIVE = "active", _("在册")
    AWAY = "away", _("暂时外出")
    HOSPITALISED = "hospitalised", _("住院")
    MOVED_OUT = "moved_out", _("迁出")
    DECEASED = "deceased", _("已故")


class RiskLevel(models.TextChoices):
    NORMAL = "normal", _("一般")
    HIGH = "high", _("高风险")


class Subsistence(models.TextChoices):
    NONE = "", _("无")
    MINIMUM = "minimum", _("低保")
    EXTREME_POVERTY = "extreme_poverty", _("特困")
    MARGINAL = "marginal", _("低保边缘")


class DisabilityType(models.TextChoices):
    NONE = "", _("无")
    VISUAL = "visual", _("视力")
    HEARING = "hearing", _("听力")
    SPEECH = "speech", _("言语")
    PHYSICAL = "physical", _("肢体")
    INTELLECTUAL = "intellectual", _("智力")
    MENTAL = "mental", _("精神")
    MULTIPLE = "multiple", _("多重")


class AbilityLevel(models.TextChoices):
    """GB 42195-2023 老年人能力评估规范: five levels."""

    NONE = "", _("未评估")
    INTACT = "intact", _("能力完好")
    MILD = "mild", _("能力轻度受损（轻度失能）")
    MODERATE = "moderate", _("能力中度受损（中度失能）")
    SEVERE = "severe", _("能力重度受损（重度失能）")
    TOTAL = "total", _("能力完全丧失（完全失能）")


class Willingness(models.TextChoices):
    UNKNOWN = "", _("未登记")
    WILLING = "willing", _("愿意接受探访")
    UNWILLING = "unwilling", _("不愿接受探访")


class VisitMethod(models.TextChoices):
    NONE = "", _("无偏好")
    HOME = "home", _("上门探访")
    PHONE = "phone", _("电话问候")
    VIDEO = "video", _("互联网音（视）频探访")
    OTHER = "other", _("其他")


class HelpingUnit(models.TextChoices):
    """The form's seven kinds of unit that already help an elder."""

    ORGAN = "organ", _("党政机关、群团组织")
    GRASSROOTS = "grassroots", _("乡镇（街道）、村（居）委会")
    ENTERPRISE = "enterprise", _("企业")
    SOCIAL_ORGANISATION = "social_organisation", _("社会组织")
    SOCIAL_WORKER = "social_worker", _("专业社会工作者")
    VOLUNTEER = "volunteer", _("志愿者")
    OTHER = "other", _("其他")


class BenefitKind(models.TextChoices):
    PENSION = "pension", _("养老金")
    MINIMUM_SUBSISTENCE = "minimum_subsistence", _("低保金")
    EXTREME_POVERTY = "extreme_poverty", _("特困供养金")
    OLD_AGE = "old_age", _("高龄津贴")
    CARE = "care", _("养老服务（护理）补贴")
    DISABILITY_LIVING = "disability_living", _("困难残疾人生活补贴")
    DISABILITY_CARE = "disability_care", _("重度残疾人护理补贴")
    SPECIAL_FAMILY = "special_family", _("计划生育特别扶助金")
    OTHER = "other", _("其他")


class Elder(RegionOwned):
    """An elderly person in the registry. `region` is the village where the elder actually lives."""

    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("出生日期"))
    # Encrypted citizen ID number; the blind index makes it unique and searchable.
    id_number_cipher = models.BinaryField(_("公民身份号码（密文）"))
    id_number_index = models.CharField(max_length=64, unique=True)
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18)
    phone_cipher = models.BinaryField(_("联系电话（密文）"), null=True, blank=True)
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    phone2_cipher = models.BinaryField(_("备用电话（密文）"), null=True, blank=True)
    phone2_index = models.CharField(max_length=64, blank=True, db_index=True)
    phone2_masked = models.CharField(_("备用电话"), max_length=20, blank=True)
    address = models.CharField(_("现居住地址"), max_length=200, blank=True)
    # Where the home is, for checking where a home visit was made; set by an officer or from a visit.
    home_latitude = models.DecimalField(_("住址纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    home_longitude = models.DecimalField(_("住址经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    # 人户分离: where the household is registered, when that is not where the elder lives.
    lives_at_registration = models.BooleanField(_("居住地与户籍地一致"), default=True)
    registered_region = models.ForeignKey(
        Region, verbose_name=_("户籍地区划"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registered_address = models.CharField(_("户籍地址"), max_length=200, blank=True)

    disability_certificate_cipher = models.BinaryField(_("残疾证号（密文）"), null=True, blank=True)
    disability_certificate_masked = models.CharField(_("残疾证号"), max_length=24, blank=True)
    disability_grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)
    disability_type = models.CharField(_("残疾类别"), max_length=16, choices=DisabilityType.choices, blank=True)
    ability_score = models.PositiveSmallIntegerField(_("能力评估得分"), null=True, blank=True)
    ability_level = models.CharField(_("能力等级"), max_length=16, choices=AbilityLevel.choices, blank=True)
    ability_assessed_on = models.DateField(_("能力评估日期"), null=True, blank=True)
    subsistence = models.CharField(_("低保/特困"), max_length=16, choices=Subsistence.choices, blank=True)

    drinking_water_safe = models.BooleanField(_("饮水安全"), null=True, blank=True)
    electricity_safe = models.BooleanField(_("用电安全"), null=True, blank=True)
    housing_safe = models.BooleanField(_("住房安全"), null=True, blank=True)
    household_income = models.DecimalField(
        _("家庭月收入（元）"), max_digits=10, decimal_places=2, null=True, blank=True
    )

    willingness = models.CharField(_("探访意愿"), max_length=16, choices=Willingness.choices, blank=True)
    willingness_on = models.DateField(_("意愿登记日期"), null=True, blank=True)
    willingness_recorded_by = models.CharField(_("意愿登记人"), max_length=50, blank=True)
    preferred_visit_method = models.CharField(
        _("希望的探访方式"), max_length=16, choices=VisitMethod.choices, blank=True
    )

    risk_level = models.CharField(_("风险等级"), max_length=8, choices=RiskLevel.choices, default=RiskLevel.NORMAL)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_since = models.DateField(_("状态起始日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    # Two records that turned out to be one person: the other one stays, pointing here.
    merged_into = models.ForeignKey(
        "self", verbose_name=_("已合并到"), on_delete=models.PROTECT, null=True, blank=True, related_name="merged"
    )
    registered_on = models.DateField(_("登记日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("老年人")
        verbose_name_plural = _("老年人")
        indexes = [
            # On PostgreSQL region_path has the "C" collation (migration 0003), so this one
            # index serves both the subtree filter (LIKE 'path%') and the list's order.
            models.Index(fields=["region_path", "id"], name="elder_region_path_id_idx"),
            # Name search is by prefix (surname first, as people type it): a pattern index serves it.
            models.Index(fields=["name"], name="elder_name_prefix_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return self.name


class ElderGroup(models.Model):
    """Membership of one of the six groups, with where it came from and when."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="groups")
    group = models.CharField(_("类别"), max_length=24, choices=Group.choices)
    source = models.CharField(_("来源"), max_length=24, choices=GroupSource.choices)
    since = models.DateField(_("认定日期"), null=True, blank=True)
    until = models.DateField(_("终止日期"), null=True, blank=True)
    import_batch = models.ForeignKey("ImportBatch", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    import_line = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("特殊困难类别")
        constraints = [models.UniqueConstraint(fields=["elder", "group", "source"], name="elder_group_source_unique")]
        indexes = [models.Index(fields=["group", "elder"], name="elder_group_idx")]

    def __str__(self) -> str:
        return f"{self.get_group_display()}（{self.get_source_display()}）"


class EmergencyContact(models.Model):
    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="contacts")
    position = models.PositiveSmallIntegerField(_("顺序"), default=1)
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20, blank=True)
    phone_cipher = models.BinaryField(null=True, blank=True)
    phone_masked = models.CharField(_("电话"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("紧急联系人")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Supporter(models.Model):
    """A person obliged to support the elder (赡养人/扶养人)."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="supporters")
    name = models.CharField(_("姓名"), max_length=50)
    relation = models.CharField(_("关系"), max_length=20)
    phone_cipher = models.BinaryField(null=True, blank=True)
    phone_masked = models.CharField(_("电话"), max_length=20, blank=True)
    lives_in = models.CharField(_("居住地"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("赡养人/扶养人")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class HouseholdMember(models.Model):
    """Section 2 of the form: the household, head first."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="household")
    position = models.PositiveSmallIntegerField(_("顺序"), default=1)
    name = models.CharField(_("姓名"), max_length=50)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    id_number_cipher = models.BinaryField(null=True, blank=True)
    id_number_masked = models.CharField(_("公民身份号码"), max_length=18, blank=True)
    relation_to_head = models.CharField(_("与户主关系"), max_length=20)
    health = models.CharField(_("健康状况"), max_length=50, blank=True)
    subsistence = models.CharField(_("低保/特困"), max_length=16, choices=Subsistence.choices, blank=True)

    class Meta:
        verbose_name = _("家庭成员")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class Benefit(models.Model):
    """Section 3: pension, social assistance and welfare subsidies received each month."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="benefits")
    kind = models.CharField(_("类别"), max_length=24, choices=BenefitKind.choices)
    monthly_amount = models.DecimalField(_("每月金额（元）"), max_digits=9, decimal_places=2)

    class Meta:
        verbose_name = _("养老金、救助和补贴")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.monthly_amount}"


class Assistance(models.Model):
    """Section 4: help the elder already receives."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="assistance")
    unit_type = models.CharField(_("帮扶单位类型"), max_length=24, choices=HelpingUnit.choices)
    unit_name = models.CharField(_("帮扶单位"), max_length=100, blank=True)
    responsible_person = models.CharField(_("帮扶责任人"), max_length=50, blank=True)
    measures = models.CharField(_("帮扶措施"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("已享受帮扶")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.get_unit_type_display()


class StatusChange(models.Model):
    """The lifecycle history: later issues decide from it who had to be visited when."""

    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices)
    since = models.DateField(_("起始日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("状态变更")
        ordering = ["since", "id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.since}"


class ImportBatch(RegionOwned):
    """One uploaded file: previewed, then committed all-or-nothing. `region` is the importer's region.

    The file itself (names, ID numbers, phones of a whole roster) is kept SM4-GCM encrypted
    only while it is needed: it is deleted when the batch is committed, or
    TANFANG_IMPORT_FILE_DAYS after upload (`import_files.purge_import_files`). What stays — the
    counts and the error list — holds no full ID number or phone number.
    """

    class State(models.TextChoices):
        PREVIEWED = "previewed", _("待确认")
        INVALID = "invalid", _("有错误")
        COMMITTED = "committed", _("已导入")

    source = models.CharField(_("来源"), max_length=24)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_sha256 = models.CharField(max_length=64, db_index=True)
    # The uploaded file, encrypted (import_files.seal_file); NULL once deleted.
    content_cipher = models.BinaryField(null=True, blank=True)
    file_deleted_at = models.DateTimeField(_("原始文件删除时间"), null=True, blank=True)
    column_mapping = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices)
    row_count = models.PositiveIntegerField(_("行数"), default=0)
    error_count = models.PositiveIntegerField(_("错误数"), default=0)
    errors = models.JSONField(default=list, blank=True)  # the first errors, for the page
    summary = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    committed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(content_cipher__isnull=True, file_deleted_at__isnull=False)
                | models.Q(content_cipher__isnull=False, file_deleted_at__isnull=True),
                name="import_batch_file_kept_or_deleted",
            )
        ]

    @property
    def file_kept(self) -> bool:
        """Whether the uploaded file is still stored (to commit it or to mark its errors)."""
        return self.file_deleted_at is None


class ImportedRow(models.Model):
    """Which elder a row of a batch created or added to, and which fields it supplied."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="import_rows")
    created = models.BooleanField()
    fields = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["batch", "line"], name="imported_row_unique")]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line}"


class ImportConflict(models.Model):
    """A file said something else than the registry for the same person: an officer decides."""

    class Outcome(models.TextChoices):
        PENDING = "", _("待处理")
        KEPT = "kept", _("保留原值")
        REPLACED = "replaced", _("采用导入值")

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="conflicts")
    line = models.PositiveIntegerField()
    elder = models.ForeignKey(Elder, on_delete=models.CASCADE, related_name="import_conflicts")
    field = models.CharField(max_length=40)
    current_value = models.CharField(max_length=200)
    incoming_value = models.CharField(max_length=200)
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    FIELD_LABELS = {"name": _("姓名"), "village_code": _("现居住地区划代码"), "address": _("现居住地址")}

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.batch_id}:{self.line} {self.field}"

    @property
    def field_label(self) -> str:
        return str(self.FIELD_LABELS.get(self.field, self.field))


class DueRefresh(models.Model):
    """An elder whose due state (tanfang.schedule) must be recomputed: written by
    `elders.due_queue.queue_due_refresh` in the same transaction as the change that made it stale,
    and drained in batches by the schedule. `token` changes when the elder is queued again, so a
    drain removes only the entries it has seen.

    It lives here, below every app that changes what an elder owes (the registry, pairings, visits,
    policies), so that each of them can queue without reaching up to the schedule.
    """

    elder = models.OneToOneField(Elder, on_delete=models.CASCADE, primary_key=True, related_name="+")
    region_path = models.CharField(max_length=100)  # the queue stays short: readers filter it without an index
    token = models.BigIntegerField()
    queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.elder_id}"


class RegionDueRefresh(models.Model):
    """Every elder of a region (its whole subtree; "" is everywhere) must be recomputed: a region's
    policy changed, or a weather event was declared there. Drained in the background, one region at a
    time, with its progress in a `schedule.RecomputeJob`; queued again while it runs, it runs again."""

    region_path = models.CharField(max_length=100, unique=True)
    token = models.BigIntegerField()
    queued_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.region_path or "/"
