from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VisitorsConfig(AppConfig):
    name = "tanfang.visitors"
    verbose_name = _("探访关爱服务人员")
