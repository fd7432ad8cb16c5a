from django.urls import path

from . import views

app_name = "work"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("bulk-complete/", views.bulk_complete, name="bulk_complete"),
    path("tasks/<int:pk>/", views.task, name="task"),
    path("tasks/<int:pk>/claim/", views.task_claim, name="task_claim"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/urge/", views.task_urge, name="task_urge"),
    path("tasks/<int:pk>/cancel/", views.task_cancel, name="task_cancel"),
    path("records/<str:subject_type>/<str:subject_id>/comments/", views.comment_add, name="comment_add"),
    path("records/<str:subject_type>/<str:subject_id>/attachments/", views.attachment_add, name="attachment_add"),
    path("records/<str:subject_type>/<str:subject_id>/history/", views.record_history, name="history"),
    path("attachments/<int:pk>/", views.attachment_download, name="attachment"),
    path("attachments/<int:pk>/remove/", views.attachment_remove, name="attachment_remove"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("preferences/", views.preferences, name="preferences"),
    path("robots/", views.robots, name="robots"),
    path("robots/<int:pk>/toggle/", views.robot_toggle, name="robot_toggle"),
    path("sweep/", views.sweep_now, name="sweep"),
]
