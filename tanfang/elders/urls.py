from django.urls import path

from tanfang.elders import import_views, views

app_name = "elders"

urlpatterns = [
    path("", views.elder_list_view, name="list"),
    path("new/", views.elder_create_view, name="create"),
    path("export.xlsx", views.elder_export_view, name="export"),
    path("<id:elder_id>/", views.elder_detail_view, name="detail"),
    path("<id:elder_id>/edit/", views.elder_edit_view, name="edit"),
    path("<id:elder_id>/status/", views.elder_status_view, name="status"),
    path("<id:elder_id>/reveal/", views.elder_reveal_view, name="reveal"),
    path("<id:elder_id>/merge/", views.elder_merge_view, name="merge"),
    path("conflicts/<id:conflict_id>/", import_views.conflict_decide_view, name="conflict"),
    path("imports/", import_views.import_upload_view, name="import"),
    path("imports/<id:batch_id>/", import_views.import_detail_view, name="import_detail"),
    path("imports/<id:batch_id>/commit/", import_views.import_commit_view, name="import_commit"),
    path("imports/<id:batch_id>/errors.xlsx", import_views.import_errors_view, name="import_errors"),
]
