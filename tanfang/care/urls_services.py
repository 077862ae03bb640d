"""Pages for the provider registry and care services (section 6 of the form); included by care/urls.py."""

from django.urls import URLPattern, path

from tanfang.care import views_providers, views_services

urlpatterns: list[URLPattern] = [
    path("providers/", views_providers.provider_list_view, name="provider_list"),
    path("providers/new/", views_providers.provider_new, name="provider_new"),
    path("providers/<id:provider_id>/", views_providers.provider_detail, name="provider_detail"),
    path("providers/<id:provider_id>/edit/", views_providers.provider_edit, name="provider_edit"),
    path(
        "providers/<id:provider_id>/contracts/new/",
        views_providers.provider_contract_new,
        name="provider_contract_new",
    ),
    path("providers/<id:provider_id>/staff/", views_providers.provider_staff_add, name="provider_staff_add"),
    path(
        "providers/<id:provider_id>/staff/<id:user_id>/remove/",
        views_providers.provider_staff_remove,
        name="provider_staff_remove",
    ),
    path("elders/<id:elder_id>/care-services/", views_services.elder_services, name="elder_services"),
    path("elders/<id:elder_id>/care-services/new/", views_services.service_new, name="service_new"),
    path("care-services/<id:care_service_id>/", views_services.service_detail, name="service_detail"),
    path("care-services/<id:care_service_id>/print.pdf", views_services.service_print, name="service_print"),
]
