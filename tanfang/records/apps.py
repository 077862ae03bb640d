from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordsConfig(AppConfig):
    name = "tanfang.records"
    verbose_name = _("探访记录表")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from tanfang.records.models import FormTemplate
        from tanfang.records.signals import templates_changed

        post_save.connect(templates_changed, sender=FormTemplate, dispatch_uid="records.template_saved")
        post_delete.connect(templates_changed, sender=FormTemplate, dispatch_uid="records.template_deleted")
