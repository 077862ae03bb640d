from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "tanfang.schedule"
    verbose_name = _("探访安排")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from tanfang.elders.models import StatusChange
        from tanfang.schedule.signals import refresh_after_commit
        from tanfang.visits.models import Visit

        post_save.connect(refresh_after_commit, sender=Visit, dispatch_uid="schedule.visit")
        post_save.connect(refresh_after_commit, sender=StatusChange, dispatch_uid="schedule.status")
