from django.urls import path

from tanfang.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("password/", views.password_change_view, name="password_change"),
    path("login/verify/", views.second_step_view, name="second_step"),
    path("security/", views.security_view, name="security"),
    path("security/two-factor/", views.enrol_view, name="enrol"),
    path("security/recovery-codes/", views.renew_codes_view, name="renew_codes"),
]
