from django.urls import path

from tanfang.care import urls_services, views

app_name = "care"

urlpatterns = [
    path("follow-ups/", views.follow_up_list_view, name="list"),
    path("follow-ups/<id:follow_up_id>/", views.follow_up_detail, name="detail"),
    path("follow-ups/<id:follow_up_id>/assign/", views.assign_view, name="assign"),
    path("follow-ups/<id:follow_up_id>/accept/", views.accept_view, name="accept"),
    path("follow-ups/<id:follow_up_id>/done/", views.done_view, name="done"),
    path("follow-ups/<id:follow_up_id>/close/", views.close_view, name="close"),
    path("follow-ups/<id:follow_up_id>/chase/", views.chase_view, name="chase"),
    path("elders/<id:elder_id>/follow-ups/new/", views.open_view, name="open"),
    path("deadlines/", views.deadlines_home, name="deadlines_home"),
    path("deadlines/<str:code>/", views.deadlines_view, name="deadlines"),
    *urls_services.urlpatterns,
]
