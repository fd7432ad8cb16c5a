from django.urls import path

from . import views

app_name = "duties"
urlpatterns = [
    path("", views.index, name="index"),
    path("<id:pk>/", views.department, name="department"),
    path("<id:pk>/new/", views.item_new, name="item_new"),
    path("<id:pk>/review/", views.review, name="review"),
    path("items/<id:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<id:pk>/retire/", views.item_retire, name="item_retire"),
]
