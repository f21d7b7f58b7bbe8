from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "booking"
    verbose_name = "Booking"

    def ready(self):
        from . import emails, sections

        sections.register()
        emails.register()  # the outbox's renderers for booking's messages
