from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "peerlearn.messaging"
    label = "messaging"
    verbose_name = "Messages"
