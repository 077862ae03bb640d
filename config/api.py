"""The API under /api/v1/: every endpoint needs a token or a session unless marked auth=None."""

from ninja import NinjaAPI

from tanfang.accounts.api import router as accounts_router
from tanfang.accounts.api_auth import API_AUTH, docs_access
from tanfang.alerts.api import router as alerts_router
from tanfang.audit.api import router as audit_router
from tanfang.care.api import router as care_router
from tanfang.care.api_services import router as care_services_router
from tanfang.core.api_errors import install_error_handlers
from tanfang.core.api_render import ReadableJSONRenderer
from tanfang.elders.api import router as elders_router
from tanfang.notifications.api import router as notifications_router
from tanfang.records.api import router as records_router
from tanfang.regions.api import router as regions_router
from tanfang.reports.api import router as reports_router
from tanfang.schedule.api import router as schedule_router
from tanfang.visitors.api import router as visitors_router
from tanfang.visits.api import router as visits_router

api = NinjaAPI(
    title="Tanfang 探访关爱 API",
    version="1",
    description=(
        "特殊困难老年人探访关爱服务平台接口。"
        "认证：`Authorization: Bearer <令牌>`（由 POST /api/v1/auth/token 签发），或浏览器登录会话（需 CSRF）。"
    ),
    auth=API_AUTH,
    urls_namespace="api-1",
    docs_decorator=docs_access,
    renderer=ReadableJSONRenderer(),
)
install_error_handlers(api)
api.add_router("/", accounts_router)
api.add_router("/regions", regions_router)
api.add_router("/elders", elders_router)
api.add_router("/", visitors_router)
api.add_router("/", schedule_router)
api.add_router("/", visits_router)
api.add_router("/", records_router)
api.add_router("/", reports_router)
api.add_router("/", care_router)
api.add_router("/", care_services_router)
api.add_router("/", alerts_router)
api.add_router("/audit-events", audit_router)
api.add_router("/", notifications_router)
