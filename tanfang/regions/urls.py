from django.urls import path

from tanfang.regions import views

app_name = "regions"

urlpatterns = [
    path("", views.browse_view, name="browse"),
    path("<str:code>/", views.browse_view, name="detail"),
]
