from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake screening"

    def ready(self):
        from . import emails, sections

        sections.register()
        emails.register()  # the outbox's renderer for intake's message
