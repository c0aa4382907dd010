from django.apps import AppConfig


class ReviewsConfig(AppConfig):
    name = "peerlearn.reviews"
    label = "reviews"
    verbose_name = "Reviews"
