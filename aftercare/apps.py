from django.apps import AppConfig


class AftercareConfig(AppConfig):
    name = "aftercare"
    verbose_name = "Aftercare and reminders"

    def ready(self):
        from . import (
            receivers,  # noqa: F401  (connects to booking's events)
            sections,
            selectors,
            services,
        )

        sections.register()
        selectors.register_figures()  # the staff menu's count of open check-ins
        services.register()  # the outbox's renderer for every reminder kind
