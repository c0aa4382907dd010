from __future__ import annotations

from django.urls import path
from lti_tool.views import jwks

from . import views

app_name = "lti"

urlpatterns = [
    path("jwks.json", jwks, name="jwks"),
    path("login/", views.oidc_login, name="login"),
    path("login/<uuid:registration_uuid>/", views.oidc_login, name="login_registration"),
    path("launch/", views.launch, name="launch"),
    path("deep-link/", views.deep_link, name="deep_link"),
    path("link/<str:token>/", views.identity_link, name="link"),
    path("courses/", views.my_courses, name="courses"),
    path("courses/<int:course_id>/", views.course, name="course"),
    path("courses/<int:course_id>/curate/", views.course_curate, name="curate"),
    path("courses/<int:course_id>/roster/", views.roster_sync, name="roster_sync"),
]
