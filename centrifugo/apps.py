from django.apps import AppConfig


class CentrifugoConfig(AppConfig):
    name = "centrifugo"
    verbose_name = "Realtime (Centrifugo)"
