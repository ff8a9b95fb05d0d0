from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class CentrifugoConfig(AppConfig):
    name = "centrifugo"
    verbose_name = "Realtime (Centrifugo)"

    def ready(self) -> None:
        # Every app's `events.py` declares its event kinds (centrifugo.events.CATALOGUE), as `admin.py` registers
        # models: the catalogue is complete once Django is set up.
        autodiscover_modules("events")
