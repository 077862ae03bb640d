from django.urls import path

from tanfang.alerts import views

app_name = "alerts"

urlpatterns = [
    path("", views.incident_list_view, name="list"),
    path("elders/<id:elder_id>/open/", views.open_view, name="open"),
    path("<id:incident_id>/", views.incident_detail_view, name="detail"),
    path("<id:incident_id>/call/", views.call_view, name="call"),
    path("<id:incident_id>/calls/", views.log_call_view, name="log_call"),
    path("<id:incident_id>/notes/", views.note_view, name="note"),
    path("<id:incident_id>/close/", views.close_view, name="close"),
    path("<id:incident_id>/archive.pdf", views.archive_pdf_view, name="archive"),
    path("duty/", views.duty_home_view, name="duty_home"),
    path("duty/<str:code>/", views.duty_view, name="duty"),
    path("duty/shifts/<id:shift_id>/remove/", views.duty_remove_view, name="duty_remove"),
]
