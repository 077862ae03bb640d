from django.urls import include, path

from config.api import api
from tanfang.core import views as core_views
from tanfang.reports import views as report_views

handler400 = "tanfang.core.error_pages.bad_request"
handler403 = "tanfang.core.error_pages.forbidden"
handler404 = "tanfang.core.error_pages.not_found"
handler500 = "tanfang.core.error_pages.server_error"

urlpatterns = [
    path("", report_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("tanfang.accounts.urls")),
    path("users/", include("tanfang.accounts.user_urls")),
    path("regions/", include("tanfang.regions.urls")),
    path("elders/", include("tanfang.elders.urls")),
    path("visitors/", include("tanfang.visitors.urls")),
    path("", include("tanfang.schedule.urls")),
    path("visits/", include("tanfang.visits.urls")),
    path("records/", include("tanfang.records.urls")),
    path("care/", include("tanfang.care.urls")),
    path("incidents/", include("tanfang.alerts.urls")),
    path("audit/", include("tanfang.audit.urls")),
    path("inbox/", include("tanfang.notifications.urls")),
    path("outbox/", include("tanfang.notifications.outbox_urls")),
    path("figures/", include("tanfang.reports.urls")),
    path("api/v1/", api.urls),
]
