from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AlertsConfig(AppConfig):
    name = "tanfang.alerts"
    verbose_name = _("紧急事件")
