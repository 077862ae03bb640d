"""The notification outbox: every message is a row before it is sent, and is sent once."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    # What the message is about, e.g. "digest:visitor:12:2026-11-24": the same key is never queued twice.
    key = models.CharField(max_length=120, unique=True)
    channel = models.CharField(max_length=16)
    recipient = models.CharField(max_length=40)  # a phone number in full while pending; masked once sent or failed
    recipient_label = models.CharField(max_length=100)
    region_path = models.CharField(max_length=100)
    body = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "id"], name="notification_state_idx")]

    def __str__(self) -> str:
        return self.key
