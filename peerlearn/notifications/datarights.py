"""Notifications: its part of a person's rights over their data (``accounts.datarights``;
the hooks are in ``accounts/hooks.py``, subscribed in ``NotificationsConfig.ready``)."""

from __future__ import annotations

from peerlearn.accounts.datarights import rows
from peerlearn.accounts.hooks import AccountErasing, AccountNotice, DataExportCollecting
from peerlearn.common import hooks

from .models import Notification, NotificationSettings
from .services import notify


def subscribe() -> None:
    hooks.subscribe(AccountNotice, account_notice)
    hooks.subscribe(DataExportCollecting, export)
    hooks.subscribe(AccountErasing, erase)


def account_notice(event: AccountNotice) -> None:
    notify(
        user=event.user,
        kind=Notification.Kind.ACCOUNT,
        title=event.title,
        body=event.body,
        url=event.url,
    )


def export(event: DataExportCollecting) -> None:
    u = event.user.pk
    event.kinds["notifications"] = lambda: rows(
        Notification.objects.filter(user_id=u), "kind", "title", "body", "created_at"
    )


def erase(event: AccountErasing) -> None:
    user = event.user
    Notification.objects.filter(user=user).delete()
    NotificationSettings.objects.filter(user=user).update(phone_number="", sms_opt_in=False)
