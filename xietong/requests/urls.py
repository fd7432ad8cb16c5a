from django.urls import path

from . import views

app_name = "requests"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("map/", views.collab_map, name="map"),
    path("map.xlsx", views.map_export, name="map_export"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/act/", views.act, name="act"),
]
