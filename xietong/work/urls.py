from django.urls import path

from . import task_verbs, views

app_name = "work"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk-complete/", views.bulk_complete, name="bulk_complete"),
    path("tasks/<id:pk>/", views.task, name="task"),
    *[path(f"tasks/<id:pk>/{verb.slug}/", views.TASK_VERB_VIEWS[verb.slug], name=f"task_{verb.slug}")
      for verb in task_verbs.VERBS],
    path("records/<str:subject_type>/<str:subject_id>/comments/", views.comment_add, name="comment_add"),
    path("records/<str:subject_type>/<str:subject_id>/attachments/", views.attachment_add, name="attachment_add"),
    path("records/<str:subject_type>/<str:subject_id>/history/", views.record_history, name="history"),
    path("attachments/<id:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<id:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<id:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("robots/", views.robots, name="robots"),
    path("robots/<id:pk>/toggle/", views.robot_toggle, name="robot_toggle"),
    path("sweep/", views.sweep_now, name="sweep"),
    path("workers/", views.workers, name="workers"),
    # Delegation (ORG-5), from a person's page.
    path("people/<id:pk>/delegations/", views.delegation_create, name="delegation_create"),
    path("people/<id:pk>/delegations/<id:delegation_pk>/cancel/", views.delegation_cancel, name="delegation_cancel"),
]
