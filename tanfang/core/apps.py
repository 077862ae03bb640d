from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tanfang.core"
    label = "core"
    verbose_name = "核心"
