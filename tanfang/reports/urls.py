"""Supervision pages: the dashboard and its drill-down, month close, and the 通报 exports."""

from django.urls import path

from tanfang.reports import views_dashboard, views_exports, views_months

app_name = "reports"

urlpatterns = [
    path("", views_dashboard.dashboard, name="dashboard"),
    path("elders/", views_dashboard.elders_behind, name="elders"),
    path("months/", views_months.months, name="months"),
    path("months/<str:month>/close/", views_months.close, name="close_month"),
    path("months/<str:month>/reopen/", views_months.reopen, name="reopen_month"),
    *views_exports.urlpatterns,
]
