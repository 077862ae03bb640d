from django.apps import AppConfig
from django.urls import register_converter

from tanfang.core.converters import IdConverter


class CoreConfig(AppConfig):
    name = "tanfang.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        register_converter(IdConverter, "id")
