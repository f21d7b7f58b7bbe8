from django.apps import AppConfig


class TreatmentConfig(AppConfig):
    name = "treatment"
    verbose_name = "Treatment records"

    def ready(self):
        from booking import hooks

        from . import sections, selectors

        sections.register()
        hooks.register_completion_check(selectors.completion_objection)
