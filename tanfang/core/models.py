from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last time each background process proved it was alive (shown by /healthz)."""

    name = models.CharField(_("进程"), max_length=32, primary_key=True)
    seen_at = models.DateTimeField(_("最近心跳"))

    class Meta:
        verbose_name = _("心跳")
        verbose_name_plural = _("心跳")

    def __str__(self) -> str:
        return f"{self.name} {self.seen_at:%Y-%m-%d %H:%M:%S}"


class Generation(models.Model):
    """A random token per kind of rarely changed data (policies, form templates), replaced on every change.

    Processes keep what they built from that data while the token stays the same; see `core.generations`.
    """

    name = models.CharField(max_length=32, primary_key=True)
    token = models.BigIntegerField()

    class Meta:
        verbose_name = _("缓存版本")
        verbose_name_plural = _("缓存版本")

    def __str__(self) -> str:
        return f"{self.name} {self.token}"
