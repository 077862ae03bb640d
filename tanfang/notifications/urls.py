from django.urls import path

from tanfang.notifications import views

app_name = "notifications"

urlpatterns = [
    path("", views.inbox_view, name="inbox"),
    path("read/", views.mark_read_view, name="read"),
    path("preferences/", views.preferences_view, name="preferences"),
]
