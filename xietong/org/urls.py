from django.urls import path

from . import views

app_name = "org"
urlpatterns = [
    path("departments/", views.departments, name="departments"),
    path("departments/new/", views.department_edit, name="department_new"),
    path("departments/<int:pk>/", views.department, name="department"),
    path("departments/<int:pk>/edit/", views.department_edit, name="department_edit"),
    path("departments/<int:pk>/liaisons/", views.liaison_set, name="liaison_set"),
    path("departments/<int:pk>/liaisons/<int:liaison_pk>/clear/", views.liaison_clear, name="liaison_clear"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_edit, name="person_new"),
    path("people/<int:pk>/", views.person, name="person"),
    path("people/<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("people/<int:pk>/active/", views.person_deactivate, name="person_active"),
    path("people/<int:pk>/memberships/", views.membership_add, name="membership_add"),
    path("people/<int:pk>/memberships/<int:dept_pk>/remove/", views.membership_remove, name="membership_remove"),
    path("people/<int:pk>/roles/", views.role_grant, name="role_grant"),
    path("people/<int:pk>/roles/<int:role_pk>/revoke/", views.role_revoke, name="role_revoke"),
    path("people/<int:pk>/delegations/", views.delegation_create, name="delegation_create"),
    path("people/<int:pk>/delegations/<int:delegation_pk>/cancel/", views.delegation_cancel, name="delegation_cancel"),
    path("import/", views.import_view, name="import"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
