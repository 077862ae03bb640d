from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.core.roles import RegionLevel
from tanfang.regions.paths import codes_of


class Region(models.Model):
    """One administrative division, keyed by its national code.

    Codes are 6 digits down to county (410823) and 12-digit statistical codes for
    townships and villages (410823100000, 410823100201). `path` lists the codes from
    the province down, each followed by "/", so a subtree is a path prefix.
    """

    code = models.CharField(_("区划代码"), max_length=12, primary_key=True)
    name = models.CharField(_("名称"), max_length=100)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级区划"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("路径"), max_length=100, unique=True)
    # Names from the province down, for display without walking the tree.
    full_name = models.CharField(_("全称"), max_length=300)

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["path"], name="region_path_prefix_idx", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["parent", "code"], name="region_parent_code_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def region_path(self) -> str:
        # A region is region-owned by itself: audit events about it are scoped by its path.
        return self.path

    @property
    def ancestor_codes(self) -> list[str]:
        return codes_of(self.path)


class UserRegion(models.Model):
    """A user's assignment to a region: the user sees that region's whole subtree."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="region_assignments")
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="user_assignments")
    assigned_at = models.DateTimeField(_("分配时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("用户区划")
        verbose_name_plural = _("用户区划")
        constraints = [models.UniqueConstraint(fields=["user", "region"], name="user_region_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} → {self.region_id}"


class RegionOwned(models.Model):
    """Base of every row that belongs to a region: it stores the region and its path.

    Services set `region_path = region.path` when they write; scoped selectors filter
    on the path prefix.
    """

    region = models.ForeignKey(Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="+")
    region_path = models.CharField(_("区划路径"), max_length=100)

    class Meta:
        abstract = True
