from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AccountsConfig(AppConfig):
    name = "peerlearn.accounts"
    label = "accounts"
    verbose_name = "Accounts and profiles"

    def ready(self) -> None:
        # Cache coherence, not a business rule: a changed user must not be served from the
        # cache (peerlearn.accounts.usercache).
        from .models import User
        from .usercache import user_changed

        post_save.connect(user_changed, sender=User, dispatch_uid="usercache-save")
        post_delete.connect(user_changed, sender=User, dispatch_uid="usercache-delete")
