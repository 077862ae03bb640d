from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "tanfang.reports"
    label = "reports"
    verbose_name = "统计报表"
