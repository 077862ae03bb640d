from django.urls import path

from tanfang.visits import views

app_name = "visits"

urlpatterns = [
    path("visitors/<id:visitor_id>/hours/", views.hours_panel, name="hours"),
]
