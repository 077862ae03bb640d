from django.urls import path

from tanfang.visitors import views

app_name = "visitors"

urlpatterns = [
    path("", views.visitor_list_view, name="list"),
    path("new/", views.visitor_create_view, name="create"),
    path("<id:visitor_id>/", views.visitor_detail_view, name="detail"),
    path("<id:visitor_id>/edit/", views.visitor_edit_view, name="edit"),
    path("<id:visitor_id>/handover/", views.visitor_handover_view, name="handover"),
    path("<id:visitor_id>/call/", views.visitor_call_view, name="call"),
    path("elders/<id:elder_id>/chase/", views.chase_view, name="chase"),
    path("elders/<id:elder_id>/pairing/", views.elder_pairing_panel, name="elder_pairing"),
    path("elders/<id:elder_id>/pair/", views.elder_pair_view, name="pair"),
    path("pairings/<id:pairing_id>/end/", views.pairing_end_view, name="end_pairing"),
    path("unpaired/", views.unpaired_view, name="unpaired"),
    path("unpaired/pair-village/", views.bulk_pair_view, name="bulk_pair"),
]
