from __future__ import annotations

from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.admin_dashboard, name="admin"),
    path("me/learning/", views.learner, name="learner"),
    path("me/learning/goals/", views.goal_add, name="goal_add"),
    path("me/learning/goals/<int:goal_id>/delete/", views.goal_delete, name="goal_delete"),
    path("me/teaching/", views.tutor, name="tutor"),
]
