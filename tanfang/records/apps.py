from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "tanfang.records"
    verbose_name = _("探访记录表")
