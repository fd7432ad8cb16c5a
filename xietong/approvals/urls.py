from django.urls import path

from . import views
from .verbs import VERBS

app_name = "approvals"
urlpatterns = [
    path("", views.index, name="index"),
    path("batch/", views.batch_approve, name="batch"),
    path("new/", views.new, name="new"),
    path("new/<slug:key>/", views.apply, name="apply"),
    path("<id:pk>/", views.detail, name="detail"),
    *[path(f"<id:pk>/{verb.slug}/", views.VERB_VIEWS[verb.slug], name=verb.slug) for verb in VERBS],
    path("<id:pk>/resubmit/", views.resubmit, name="resubmit"),
    path("<id:pk>/print.pdf", views.pdf, name="pdf"),
    path("templates/", views.templates, name="templates"),
    path("templates/new/", views.template_new, name="template_new"),
    path("templates/<slug:key>/", views.template_edit, name="template_edit"),
    path("templates/<slug:key>/preview/", views.template_preview, name="template_preview"),
    path("templates/<slug:key>/versions/<n:number>/publish/", views.template_publish, name="template_publish"),
]
