from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "tanfang.schedule"
    verbose_name = _("探访安排")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tanfang.elders.models import StatusChange
        from tanfang.schedule.models import RegionPolicy
        from tanfang.schedule.signals import policies_changed, queue_elder
        from tanfang.visits.models import Visit

        post_save.connect(queue_elder, sender=Visit, dispatch_uid="schedule.visit")
        post_save.connect(queue_elder, sender=StatusChange, dispatch_uid="schedule.status")
        post_save.connect(policies_changed, sender=RegionPolicy, dispatch_uid="schedule.policy_saved")
        post_delete.connect(policies_changed, sender=RegionPolicy, dispatch_uid="schedule.policy_deleted")
