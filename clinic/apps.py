from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class ClinicAdminConfig(admin_apps.AdminConfig):
    """The Django admin on the clinic's site class (second factor, audited changes)."""

    default = False
    default_site = "clinic.admin_site.ClinicAdminSite"


def _settings_tabs(request, page):
    """Clinic's own tabs in the settings menu: staff sign-in and the audit log."""
    user = request.user
    tabs = {"staff_security": user.has_perm("clinic.reset_second_factor"), "audit_log": user.has_perm("clinic.view_auditevent")}
    return tabs if any(tabs.values()) else None


class ClinicConfig(AppConfig):
    default = True  # this module also declares the admin's config
    name = "clinic"
    verbose_name = "Clinic: people and places"

    def ready(self):
        from . import emails, health, receivers, sections

        emails.register()
        health.register_figures()
        receivers.connect()
        sections.register("settings_nav", "clinic/settings/_nav.html", order=90, context=_settings_tabs)
