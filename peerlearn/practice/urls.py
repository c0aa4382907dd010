from __future__ import annotations

from django.urls import path

from . import views

app_name = "practice"

urlpatterns = [
    path("", views.problems, name="problems"),
    path("progress/", views.progress, name="progress"),
    path("problems/<slug:slug>/", views.problem_detail, name="problem"),
    path("problems/<slug:slug>/draft", views.draft_save, name="draft"),
    path("problems/<slug:slug>/submissions", views.submit, name="submit"),
    path("submissions/<int:submission_id>/", views.submission_result, name="submission"),
    path("sessions/", views.sessions, name="sessions"),
    path("sessions/lobby/", views.lobby, name="lobby"),
    path("s/<uuid:uid>/", views.session_detail, name="session"),
    path("s/<uuid:uid>/join", views.session_join, name="join"),
    path("s/<uuid:uid>/end", views.session_end, name="end"),
    path("s/<uuid:uid>/summary/", views.session_summary, name="summary"),
]
