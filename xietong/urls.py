"""Every module's pages at its prefix, and the API, from the modules'
manifests (xietong.platform): a new module needs no line here."""

from django.conf import settings
from django.urls import include, path

from xietong.api import api  # its routers' URLs use `<id:…>`, registered by WebConfig.ready
from xietong.platform import modules

urlpatterns = [path(module.prefix, include(module.urls)) for module in modules() if module.urls]
urlpatterns += [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # The Django admin is not mounted: it writes no audit events. Every
    # change goes through the product's pages, API or commands (KER-4).
]
if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

handler404 = "xietong.web.errors.not_found"
handler500 = "xietong.web.errors.server_error"
