from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("departments/", views.departments, name="departments"),
    path("departments/new/", views.department_edit, name="department_new"),
    path("departments/<id:pk>/", views.department, name="department"),
    path("departments/<id:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<id:pk>/liaisons/", views.liaison_set, name="liaison_set"),
    path("departments/<id:pk>/liaisons/<id:liaison_pk>/clear/", views.liaison_clear, name="liaison_clear"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_edit, name="person_new"),
    path("people/<id:pk>/", views.person, name="person"),
    path("people/<id:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<id:pk>/active/", views.person_deactivate, name="person_active"),
    path("people/<id:pk>/holdings/", views.person_holdings, name="person_holdings"),
    path("people/<id:pk>/memberships/", views.membership_add, name="membership_add"),
    path("people/<id:pk>/memberships/<id:dept_pk>/remove/", views.membership_remove, name="membership_remove"),
    path("people/<id:pk>/roles/", views.role_grant, name="role_grant"),
    path("people/<id:pk>/roles/<id:role_pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
    path("import/<id:pk>/", views.import_job, name="import_job"),
]
