from django.urls import path

from tanfang.records import views

app_name = "records"

urlpatterns = [
    path("elders/<id:elder_id>/new/", views.new_visit, name="new"),
    path("elders/<id:elder_id>/", views.elder_visits, name="elder_visits"),
    path("visits/<id:visit_id>/", views.visit_detail, name="detail"),
    path("visits/<id:visit_id>/review/", views.review, name="review"),
    path("visits/<id:visit_id>/form.pdf", views.visit_form, name="visit_form"),
    path("photos/<id:photo_id>/small.jpg", views.photo_small, name="photo_small"),
    path("review/", views.review_list, name="review_list"),
    path("villages/<str:code>/print/", views.village_print, name="village_print"),
    path("villages/<str:code>/forms.pdf", views.village_forms, name="village_forms"),
]
