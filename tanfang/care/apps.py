from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "tanfang.care"
    verbose_name = _("跟进与关爱服务")
