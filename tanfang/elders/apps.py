from django.apps import AppConfig


class EldersConfig(AppConfig):
    name = "tanfang.elders"
    label = "elders"
    verbose_name = "老年人台账"
