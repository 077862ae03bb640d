from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ScheduleConfig(AppConfig):
    name = "tanfang.schedule"
    verbose_name = _("探访安排")
