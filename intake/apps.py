from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "intake"
    verbose_name = "Intake screening"

    def ready(self):
        from . import sections

        sections.register()
