from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitsConfig(AppConfig):
    name = "tanfang.visits"
    verbose_name = _("探访记录")
