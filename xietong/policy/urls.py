from django.urls import path

from . import views

app_name = "policy"
urlpatterns = [
    path("parameters/", views.parameters, name="parameters"),
    path("parameters/<str:key>/", views.parameter, name="parameter"),
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/day/", views.calendar_day, name="calendar_day"),
    path("calendar/year/", views.calendar_year, name="calendar_year"),
]
