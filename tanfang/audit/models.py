from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.audit.actions import Action


class AuditEvent(models.Model):
    """One write, or one sensitive read, by one actor."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # (actor, at) below serves it
    )
    # Kept as text too, so the log reads the same if the account is renamed.
    actor_label = models.CharField(_("操作人"), max_length=150)
    action = models.CharField(_("操作"), max_length=64)
    subject_type = models.CharField(_("对象类型"), max_length=64)
    subject_id = models.CharField(_("对象编号"), max_length=64)
    subject_label = models.CharField(_("对象"), max_length=200, blank=True)
    # The region the subject belongs to: the audit log is scoped like everything else.
    region_path = models.CharField(_("区划路径"), max_length=100, blank=True)
    changes = models.JSONField(_("变更"), default=dict, blank=True)
    details = models.JSONField(_("详情"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP 地址"), null=True, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),  # exact matches only: no LIKE index
            models.Index(fields=["region_path"], name="audit_region_path_idx", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.subject_label}"

    @property
    def action_label(self) -> str:
        """The action in words; codes no longer known are shown as they are."""
        return str(Action(self.action).label) if self.action in Action.values else self.action
