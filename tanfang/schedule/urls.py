from django.urls import path

from tanfang.schedule import views

app_name = "schedule"

urlpatterns = [
    path("worklist/", views.worklist_view, name="worklist"),
    path("worklist/call/<id:elder_id>/", views.call_view, name="call"),
    path("schedule/", views.schedule_home_view, name="home"),
    path("schedule/<str:code>/", views.region_view, name="region"),
    path("schedule/<str:code>/<str:kind>.xlsx", views.export_view, name="export"),
    path("schedule/<str:code>/recompute/", views.recompute_view, name="recompute"),
    path("schedule/<str:code>/policy/", views.policy_view, name="policy"),
    path("schedule/<str:code>/weather/", views.weather_view, name="weather"),
    path("schedule/<str:code>/chase/", views.chase_township_view, name="chase_township"),
    path("schedule/jobs/<id:job_id>/", views.job_view, name="job"),
]
