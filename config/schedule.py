"""Every periodic job, in one place."""

from celery.schedules import crontab

BEAT_SCHEDULE = {
    "heartbeat": {"task": "tanfang.core.tasks.heartbeat_task", "schedule": 60.0, "args": ("beat",)},
    # Visits recorded and statuses changed since the last run; readers of due states drain their
    # own part of the queue first, so this only keeps the queue short.
    "refresh-queued-due-states": {"task": "tanfang.schedule.tasks.refresh_queued_task", "schedule": 5.0},
    "recompute-due-states": {
        "task": "tanfang.schedule.tasks.nightly_recompute_task",
        "schedule": crontab(hour=0, minute=20),  # Asia/Shanghai (CELERY_TIMEZONE)
    },
    # Months whose grace days are over are closed and their figures frozen (schedule.closing), after
    # the nightly recompute has counted the last follow-up deadlines.
    "close-months": {
        "task": "tanfang.schedule.tasks.close_months_task",
        "schedule": crontab(hour=1, minute=10),
    },
    "visitor-daily-digest": {
        "task": "tanfang.schedule.tasks.daily_digest_task",
        "schedule": crontab(hour=7, minute=30),
    },
    "send-outbox": {"task": "tanfang.notifications.tasks.send_outbox_task", "schedule": 60.0},
    # Follow-ups: the owner reminded a day before the deadline, the township told once it has passed.
    "sweep-follow-ups": {"task": "tanfang.care.tasks.sweep_follow_ups_task", "schedule": 300.0},
    # Open emergencies whose stored escalation deadline has come (alerts.escalation): never sleeping code.
    "escalate-incidents": {"task": "tanfang.alerts.tasks.escalate_incidents_task", "schedule": 30.0},
    "clear-expired-sessions": {
        "task": "tanfang.accounts.tasks.clear_expired_sessions_task",
        "schedule": crontab(hour=3, minute=17),
    },
    # Uploaded roster files: deleted on commit, or TANFANG_IMPORT_FILE_DAYS after upload by this job.
    "purge-import-files": {
        "task": "tanfang.elders.tasks.purge_import_files_task",
        "schedule": crontab(hour=2, minute=40),
    },
}
