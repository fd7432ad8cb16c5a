from django.conf import settings
from django.urls import include, path

from xietong.api import api  # its routers' URLs use `<id:…>`, registered by WebConfig.ready

urlpatterns = [
    path("", include("xietong.web.urls")),
    path("accounts/", include("xietong.accounts.urls")),
    path("org/", include("xietong.org.urls")),
    path("policy/", include("xietong.policy.urls")),
    path("work/", include("xietong.work.urls")),
    path("approvals/", include("xietong.approvals.urls")),
    path("requests/", include("xietong.requests.urls")),
    path("duties/", include("xietong.duties.urls")),
    path("service/", include("xietong.service.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # The Django admin is not mounted: it writes no audit events. Every
    # change goes through the product's pages, API or commands (KER-4).
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

handler404 = "xietong.web.errors.not_found"
handler500 = "xietong.web.errors.server_error"
