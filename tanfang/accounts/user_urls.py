from django.urls import path

from tanfang.accounts import views

app_name = "users"

urlpatterns = [
    path("", views.user_list_view, name="list"),
    path("new/", views.user_create_view, name="create"),
    path("<id:user_id>/", views.user_detail_view, name="detail"),
    path("<id:user_id>/edit/", views.user_edit_view, name="edit"),
    path("<id:user_id>/unlock/", views.user_unlock_view, name="unlock"),
    path("<id:user_id>/reset-password/", views.user_reset_password_view, name="reset_password"),
    path("<id:user_id>/reset-two-factor/", views.user_reset_two_factor_view, name="reset_two_factor"),
]
