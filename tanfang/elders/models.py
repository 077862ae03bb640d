from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.core.id_numbers import Sex
from tanfang.regions.models import RegionOwned

ID_NUMBER_CONTEXT = "elders.id_number"
PHONE_CONTEXT = "elders.phone"


class Elder(RegionOwned):
    """An elderly person in the registry. `region` is the village where the elder lives."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        AWAY = "away", _("暂时外出")
        HOSPITALISED = "hospitalised", _("住院")
        MOVED_OUT = "moved_out", _("迁出")
        DECEASED = "deceased", _("已故")

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
    address = models.CharField(_("现居住地址"), max_length=200, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    registered_on = models.DateField(_("登记日期"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = _("老年人")
        verbose_name_plural = _("老年人")
        indexes = [
            models.Index(
                fields=["region_path", "id"], name="elder_region_path_idx", opclasses=["varchar_pattern_ops", ""]
            ),
        ]

    def __str__(self) -> str:
        return self.name
