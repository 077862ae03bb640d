from django.urls import path

from tanfang.elders import import_views, views

app_name = "elders"

urlpatterns = [
    path("", views.elder_list_view, name="list"),
    path("new/", views.elder_create_view, name="create"),
    path("export.xlsx", views.elder_export_view, name="export"),
    path("<int:elder_id>/", views.elder_detail_view, name="detail"),
    path("<int:elder_id>/edit/", views.elder_edit_view, name="edit"),
    path("<int:elder_id>/status/", views.elder_status_view, name="status"),
    path("<int:elder_id>/reveal/", views.elder_reveal_view, name="reveal"),
    path("<int:elder_id>/merge/", views.elder_merge_view, name="merge"),
    path("conflicts/<int:conflict_id>/", import_views.conflict_decide_view, name="conflict"),
    path("imports/", import_views.import_upload_view, name="import"),
    path("imports/<int:batch_id>/", import_views.import_detail_view, name="import_detail"),
    path("imports/<int:batch_id>/commit/", import_views.import_commit_view, name="import_commit"),
    path("imports/<int:batch_id>/errors.xlsx", import_views.import_errors_view, name="import_errors"),
]
