from django.urls import path

from . import views

app_name = "service"
urlpatterns = [
    path("", views.index, name="index"),
    path("new/", views.new, name="new"),
    path("summaries/", views.summaries, name="summaries"),
    path("summaries/<id:pk>/", views.summary, name="summary"),
    path("<id:pk>/", views.detail, name="detail"),
    path("<id:pk>/act/", views.act, name="act"),
    path("<id:pk>/reveal/", views.reveal, name="reveal"),
    # The website channel: no sign-in.
    path("public/", views.public_form, name="public_form"),
    path("public/track/<str:code>/", views.public_track, name="public_track"),
    path("public/survey/<str:token>/", views.public_survey, name="public_survey"),
]
