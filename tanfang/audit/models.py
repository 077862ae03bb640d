"""The audit log: rows are added, never changed or removed.

The model refuses to update or delete events (`save()` only inserts; `delete()`, `update()` and
their bulk forms raise `AuditLogIsAppendOnly`); on PostgreSQL a trigger refuses UPDATE and DELETE of
the table's rows whatever sends them (migration 0003). Accounts are deactivated, never deleted:
an event's actor is protected.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from tanfang.audit.actions import Action
from tanfang.core.id_numbers import mask_audited

APPEND_ONLY_MESSAGE = "审计日志只能追加，不能修改或删除 (the audit log is append-only)"


class AuditLogIsAppendOnly(Exception):
    """A write that would change or remove an audit event: a programming error, never the user's."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{APPEND_ONLY_MESSAGE}: {what}")


class AuditEventQuerySet(models.QuerySet["AuditEvent"]):
    """Reads and inserts; every way of changing or removing stored events raises."""

    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("update()")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("delete()")

    def bulk_update(self, objs: Iterable[AuditEvent], fields: Iterable[str], batch_size: int | None = None) -> int:
        raise AuditLogIsAppendOnly("bulk_update()")

    def update_or_create(self, *args: Any, **kwargs: Any) -> Any:
        raise AuditLogIsAppendOnly("update_or_create()")

    def bulk_create(
        self,
        objs: Iterable[AuditEvent],
        batch_size: int | None = None,
        ignore_conflicts: bool = False,
        update_conflicts: bool = False,
        update_fields: Collection[str] | None = None,
        unique_fields: Collection[str] | None = None,
    ) -> list[AuditEvent]:
        if update_conflicts:
            raise AuditLogIsAppendOnly("bulk_create(update_conflicts=True)")
        return super().bulk_create(
            objs,
            batch_size=batch_size,
            ignore_conflicts=ignore_conflicts,
            update_fields=update_fields,
            unique_fields=unique_fields,
        )


class AuditEvent(models.Model):
    """One write, or one sensitive read, by one actor. Stored once, never changed."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        # Accounts are deactivated, never deleted; SET_NULL would rewrite the log.
        on_delete=models.PROTECT,
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

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计事件")
        verbose_name_plural = _("审计事件")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="audit_subject_idx"),
            models.Index(fields=["actor", "at"], name="audit_actor_at_idx"),
            models.Index(fields=["action"], name="audit_action_idx"),  # exact matches only: no LIKE index
            models.Index(fields=["region_path"], name="audit_region_path_idx", opclasses=["varchar_pattern_ops"]),
            # Recent failed log-ins per client address, for throttling.
            models.Index(fields=["ip_address", "at"], name="audit_ip_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.subject_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Insert a new event; an event already stored is never written again."""
        if not self._state.adding:
            raise AuditLogIsAppendOnly("save() of a stored event")
        kwargs["force_insert"] = True  # never an UPDATE, even with a primary key set by hand
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("delete()")

    @property
    def shown_changes(self) -> dict[str, Any]:
        """The changes as shown anywhere: old entries' birth dates and numbers masked as today's are."""
        return {name: mask_audited(name, change) for name, change in self.changes.items()}

    @property
    def shown_details(self) -> dict[str, Any]:
        return {name: mask_audited(name, value) for name, value in self.details.items()}

    @property
    def action_label(self) -> str:
        """The action in words; codes no longer known are shown as they are."""
        return str(Action(self.action).label) if self.action in Action.values else self.action
