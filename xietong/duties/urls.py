from django.urls import path

from . import views

app_name = "duties"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.department, name="department"),
    path("<int:pk>/new/", views.item_new, name="item_new"),
    path("<int:pk>/review/", views.review, name="review"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("items/<int:pk>/retire/", views.item_retire, name="item_retire"),
]
