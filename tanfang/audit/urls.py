from django.urls import path

from tanfang.audit import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_list_view, name="list"),
    path("export/", views.audit_export_view, name="export"),
]
