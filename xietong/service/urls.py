from django.urls import path

from . import views
from .verbs import VERBS

app_name = "service"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("summaries/", views.summaries, name="summaries"),
    path("summaries/<id:pk>/", views.summary, name="summary"),
    path("<id:pk>/", views.detail, name="detail"),
    # One URL per verb (verbs.py): solve, pass, return, forward, confirm, flag.
    *[path(f"<id:pk>/{verb.slug}/", views.VERB_VIEWS[verb.slug], name=verb.slug) for verb in VERBS],
    path("<id:pk>/reveal/", views.reveal, name="reveal"),
    # The website channel: no sign-in.
    path("public/", views.public_form, name="public_form"),
    path("public/track/<str:code>/", views.public_track, name="public_track"),
    path("public/survey/<str:token>/", views.public_survey, name="public_survey"),
]
