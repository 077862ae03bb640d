from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.core.roles import NO_ROLE_LABEL, Role

PHONE_CONTEXT = "accounts.phone"
TOTP_SECRET_CONTEXT = "accounts.totp_secret"  # noqa: S105 — the name of an encryption context, not a secret


class User(AbstractUser):
    """A person who logs in: an officer, a village worker, a visitor or a supervisor.

    What the user may see is decided by its region assignments (regions.UserRegion),
    what it may do by its role.
    """

    role = models.CharField(_("角色"), max_length=32, choices=Role.choices, blank=True)  # "": not yet granted
    display_name = models.CharField(_("姓名"), max_length=50)
    # The phone number, encrypted like elders' (context PHONE_CONTEXT); only the mask is plain.
    phone_cipher = models.BinaryField(_("联系电话（密文）"), null=True, blank=True)
    phone_masked = models.CharField(_("联系电话"), max_length=20, blank=True)
    organisation = models.CharField(_("单位"), max_length=100, blank=True)
    failed_logins = models.PositiveSmallIntegerField(_("连续登录失败次数"), default=0)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    must_change_password = models.BooleanField(_("须修改密码"), default=False)
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)
    created_by = models.ForeignKey(
        "self", verbose_name=_("创建人"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    REQUIRED_FIELDS = ["display_name", "role"]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        ordering = ["username"]

    def __str__(self) -> str:
        return f"{self.display_name}（{self.username}）" if self.display_name else self.username

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else str(NO_ROLE_LABEL)

    def region_paths(self) -> tuple[str, ...]:
        """The paths of the user's assigned regions, read once per user object."""
        cached: tuple[str, ...] | None = getattr(self, "_region_paths", None)
        if cached is None:
            cached = tuple(self.region_assignments.values_list("region__path", flat=True))
            self._region_paths = cached
        return cached

    def forget_regions(self) -> None:
        self.__dict__.pop("_region_paths", None)

    @property
    def region_path(self) -> str:
        # Audit events about a user are filed under its first region.
        paths = sorted(self.region_paths())
        return paths[0] if paths else ""


class ApiToken(models.Model):
    """A bearer token for the API. Only a hash is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("名称"), max_length=100, blank=True)
    prefix = models.CharField(_("前缀"), max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("过期时间"))
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user_id})"

    @property
    def region_path(self) -> str:
        return self.user.region_path


class TwoFactor(models.Model):
    """A user's TOTP authenticator (RFC 6238): the secret, encrypted, and the last time step accepted.

    A code is accepted once: a step at or before `last_step` is refused, so a code seen over a
    shoulder cannot be replayed within its window.
    """

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="two_factor")
    secret_cipher = models.BinaryField()
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("两步验证")
        verbose_name_plural = _("两步验证")

    def __str__(self) -> str:
        return f"2fa:{self.user_id}"


class RecoveryCode(models.Model):
    """A single-use recovery code; only its hash is stored, the code is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("恢复码")
        verbose_name_plural = _("恢复码")

    def __str__(self) -> str:
        return f"recovery:{self.user_id}"
