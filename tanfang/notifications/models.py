"""The notification outbox: every message is a row before it is sent, and is sent once.

A row is claimed by one sender at a time (`claimed_until`, a lease), sent outside any transaction,
and its outcome recorded with an attempt row. A sender that dies leaves a claim that runs out, and
another sender takes the row up again: nothing is lost.

The recipient is stored twice: encrypted in full (SM4-GCM, `recipient_cipher`, for sending and for an
officer's retry of a failed message) and as what may be shown (`recipient`: a phone number's mask, a
robot's name). The full number is dropped once the message is sent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

RECIPIENT_CONTEXT = "notifications.recipient"
CHANNEL_LABELS = {
    "aliyun_sms": _("短信（阿里云）"),
    "wecom_robot": _("企业微信群"),
    "console": _("短信（演示：写入日志）"),
    "fake": _("短信（测试）"),
}


class Notification(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已发送")
        FAILED = "failed", _("发送失败")

    class Priority(models.IntegerChoices):
        NORMAL = 0, _("普通")
        URGENT = 10, _("紧急")  # emergencies and alarms: sent at once, ahead of the rest

    # What the message is about, e.g. "digest:visitor:12:2026-11-24": the same key is never queued twice.
    key = models.CharField(max_length=120, unique=True)
    channel = models.CharField(max_length=16)
    recipient = models.CharField(max_length=40)  # what may be shown: a phone number's mask, a robot's name
    # The recipient in full, encrypted (context RECIPIENT_CONTEXT): kept while the message may still be
    # sent (pending, or failed and so retried by an officer), dropped once it is sent.
    recipient_cipher = models.BinaryField(null=True, blank=True)
    recipient_label = models.CharField(max_length=100)
    region_path = models.CharField(max_length=100)
    body = models.TextField()
    state = models.CharField(max_length=8, choices=State.choices, default=State.PENDING)
    priority = models.SmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)  # None: at once
    claimed_until = models.DateTimeField(null=True, blank=True)  # a sender holds the row until then
    claim = models.CharField(max_length=32, blank=True)  # which sender holds it
    provider_id = models.CharField(max_length=64, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "id"], name="notification_state_idx"),
            models.Index(
                fields=["-priority", "id"],
                name="notification_due_idx",
                condition=models.Q(state="pending"),
            ),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def channel_label(self) -> str:
        return str(CHANNEL_LABELS.get(self.channel, self.channel))


class Attempt(models.Model):
    """One try at sending a message, kept whatever became of it."""

    class Outcome(models.TextChoices):
        SENT = "sent", _("已送达服务商")
        RETRY = "retry", _("稍后重试")
        FAILED = "failed", _("失败")

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempt_rows")
    at = models.DateTimeField()
    channel = models.CharField(max_length=16)
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    answer = models.CharField(max_length=300, blank=True)  # the provider's answer or the error, scrubbed

    class Meta:
        indexes = [models.Index(fields=["notification", "at"], name="attempt_notification_idx")]

    def __str__(self) -> str:
        return f"{self.notification_id} {self.outcome}"


class InboxMessage(models.Model):
    """A message in a user's in-app inbox (the bell): the row is the message, nothing is sent."""

    key = models.CharField(max_length=120, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox")
    body = models.TextField()
    link = models.CharField(max_length=200, blank=True)  # a page of this site the message is about
    urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="inbox_user_idx"),
            models.Index(fields=["user"], name="inbox_unread_idx", condition=models.Q(read_at__isnull=True)),
        ]

    def __str__(self) -> str:
        return self.key


class Preference(models.Model):
    """How a user wants to be told things (接收方式), and when not to be disturbed (免打扰时段).

    No row means the defaults: inbox and SMS, no WeCom, no quiet hours. Emergencies and alarms
    (urgent messages) ignore quiet hours and the SMS off-switch: see `services.notify_user`.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    inbox = models.BooleanField(_("站内消息"), default=True)
    sms = models.BooleanField(_("短信"), default=True)
    wecom = models.BooleanField(_("企业微信群"), default=False)
    wecom_robot = models.CharField(
        _("企业微信群机器人"), max_length=60, blank=True
    )  # a name in TANFANG_WECOM_ROBOT_KEYS
    quiet_start = models.TimeField(_("免打扰开始"), null=True, blank=True)  # local time, Asia/Shanghai
    quiet_end = models.TimeField(_("免打扰结束"), null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"preference {self.user_id}"
