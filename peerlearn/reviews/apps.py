from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "peerlearn.reviews"
    label = "reviews"
    verbose_name = "Reviews"

    def ready(self) -> None:
        from peerlearn.common import hooks
        from peerlearn.scheduling.hooks import BookingCompleted

        from . import datarights
        from .services import booking_completed

        hooks.subscribe(BookingCompleted, booking_completed)
        datarights.subscribe()
