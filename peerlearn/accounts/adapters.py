"""allauth hooks. Thin: they call account services."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from peerlearn.common.realtime import disconnect_session

from . import loginlimits, services
from .models import User


class AccountAdapter(DefaultAccountAdapter):
    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=commit)
        if commit:
            services.profile_ensure(user=user)
        return user

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """Count the attempt per account and per address (``loginlimits``); a refusal is a 429."""
        login = loginlimits.credentials_login(credentials)
        key = self._get_login_attempts_cache_key(request, **credentials)
        self._login_failed_rl_usage = loginlimits.consume_attempt(request, login=login, key=key)

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> Any:
        response = super().post_login(request, user, **kwargs)
        if isinstance(user, User) and user.email:
            loginlimits.remember_device(request, response, user.email)
        return response

    def logout(self, request: HttpRequest) -> None:
        """Close the live sockets (rooms, notifications) opened with this browser session."""
        session_key = request.session.session_key
        super().logout(request)
        if session_key:
            disconnect_session(session_key, reason="You logged out.")

    def respond_user_inactive(self, request: HttpRequest, user: Any) -> HttpResponse:
        """A suspended person who signs in with the right password learns why, and how to
        appeal (the password was right, so this tells them nothing they did not know)."""
        if getattr(user, "suspended_at", None) is None:
            return super().respond_user_inactive(request, user)
        context = {"reason": user.suspension_reason, "support_email": settings.SUPPORT_EMAIL}
        return render(request, "account/suspended.html", context, status=403)

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        confirmed = super().confirm_email(request, email_address)
        if confirmed:
            user: User = email_address.user
            services.institution_link_from_email(user=user, email=email_address.email)
        return confirmed
