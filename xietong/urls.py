from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from xietong.api import api

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
    path("django-admin/", admin.site.urls),
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))
