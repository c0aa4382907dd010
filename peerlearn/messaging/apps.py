from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "peerlearn.messaging"
    label = "messaging"
    verbose_name = "Messages"

    def ready(self) -> None:
        from peerlearn.common import hooks
        from peerlearn.common.context_processors import register_nav_badge
        from peerlearn.scheduling.hooks import BookingAsked

        from . import datarights
        from .selectors import unread_total
        from .services import booking_asked

        register_nav_badge("messaging:inbox", unread_total)
        hooks.subscribe(BookingAsked, booking_asked)
        datarights.subscribe()
