from django.urls import path

from . import views
from .verbs import VERBS

app_name = "requests"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("map/", views.collab_map, name="map"),
    path("map.xlsx", views.map_export, name="map_export"),
    path("<id:pk>/", views.detail, name="detail"),
    # One URL per verb (verbs.py): accept, decline, propose-date, decide-date, progress, complete, confirm,
    # reopen, withdraw, escalate, rule.
    *[path(f"<id:pk>/{verb.slug}/", views.VERB_VIEWS[verb.slug], name=verb.slug) for verb in VERBS],
]
