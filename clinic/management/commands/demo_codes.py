"""The current two-factor codes of the demo staff accounts, so a newcomer can try the staff pages.

Only for the demo: it refuses unless DEBUG is on, and it only ever reads @demo.clinic accounts
(seed_demo's). A real staff member's code comes from their own authenticator app.
"""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from .seed_demo import DEMO_DOMAIN


class Command(BaseCommand):
    help = "Prints the current 6-digit codes of the demo staff accounts (DEBUG only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_codes only runs with DEBUG on: real staff use their own authenticator app.")
        devices = TOTPDevice.objects.filter(user__email__endswith=f"@{DEMO_DOMAIN}", confirmed=True).select_related("user")
        if not devices:
            raise CommandError("No demo staff devices: run `manage.py seed_demo` first.")
        now = time.time()
        left = 30 - int(now) % 30
        self.stdout.write(f"Codes for the next {left} seconds (each works once):")
        for device in devices.order_by("user__email"):
            totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
            totp.time = now
            self.stdout.write(f"  {device.user.email:<28} {totp.token():0{device.digits}d}")
