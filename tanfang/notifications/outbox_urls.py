"""The officers' failed-messages page (发送失败的消息), mounted at /outbox/."""

from django.urls import path

from tanfang.notifications import views

app_name = "outbox"

urlpatterns = [
    path("", views.troubled_view, name="list"),
    path("<int:notification_id>/retry/", views.retry_view, name="retry"),
    path("retry-all/", views.retry_all_view, name="retry_all"),
]
