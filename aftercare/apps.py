from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "aftercare"
    verbose_name = "Aftercare and reminders"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (connects to booking's events)
            sections,
            services,
        )

        sections.register()
        services.register()  # the outbox's renderer for every reminder kind
