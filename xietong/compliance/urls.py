from django.urls import path

from . import views

app_name = "compliance"
urlpatterns = [
    path("", views.index, name="index"),
    path("export.xlsx", views.export, name="export"),
    path("clauses/<str:clause_id>/", views.clause, name="clause"),
    path("metrics/", views.metrics, name="metrics"),
    path("metrics/<str:key>/", views.metric, name="metric"),
]
