"""Demo data for a laptop or a demo: safe to run again, it only fills in what is missing."""

import importlib
import importlib.util
from datetime import date, time

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.models import Channel, Clinic, Clinician, OpeningHours, Patient, Role, Room, StaffMember, User
from clinic.services import staff_member_save
from clinic.two_factor import APP_DEVICE_NAME, secret_text

DEMO_PASSWORD = "vein-demo-2026"
DEMO_DOMAIN = "demo.clinic"

CLINIC = {
    "name": "Cedar Vein Clinic",
    "address": "1620 Cedar Avenue, Suite 210\nMarysville, WA 98270",
    "phone": "+13605550100",
    "email": f"hello@{DEMO_DOMAIN}",
}
# Monday to Friday 08:00-18:00, Saturday morning.
OPENING_HOURS = [(day, time(8), time(18)) for day in range(5)] + [(5, time(9), time(13))]
ROOMS = ["Treatment room 1", "Treatment room 2"]

STAFF = [
    # email local part, first name, last name, role, clinician title
    ("admin", "Alex", "Morgan", Role.CLINIC_ADMIN, None),
    ("desk", "Dana", "Reyes", Role.FRONT_DESK, None),
    ("dr.patel", "Priya", "Patel", Role.CLINICIAN, "MD"),
    ("nurse.kim", "Jordan", "Kim", Role.CLINICIAN, "RN"),
    ("nurse.obrien", "Siobhan", "O'Brien", Role.CLINICIAN, "NP"),
]

PATIENTS = [
    ("Emma", "Johnson", date(1984, 3, 12)), ("Olivia", "Williams", date(1979, 7, 2)),
    ("Ava", "Brown", date(1991, 11, 23)), ("Sophia", "Jones", date(1968, 1, 30)),
    ("Isabella", "Garcia", date(1975, 5, 17)), ("Mia", "Miller", date(1988, 9, 5)),
    ("Charlotte", "Davis", date(1972, 12, 14)), ("Amelia", "Rodriguez", date(1995, 4, 8)),
    ("Harper", "Martinez", date(1981, 6, 21)), ("Evelyn", "Hernandez", date(1963, 10, 3)),
    ("Abigail", "Lopez", date(1990, 2, 27)), ("Emily", "Gonzalez", date(1986, 8, 19)),
    ("Elizabeth", "Wilson", date(1959, 3, 9)), ("Sofia", "Anderson", date(1993, 12, 1)),
    ("Ella", "Thomas", date(1977, 7, 28)), ("Madison", "Taylor", date(1983, 1, 16)),
    ("Scarlett", "Moore", date(1970, 4, 24)), ("Grace", "Jackson", date(1998, 10, 11)),
    ("Daniel", "Martin", date(1974, 9, 15)), ("Michael", "Lee", date(1966, 5, 6)),
]


class Command(BaseCommand):
    help = "Creates the demo clinic, its staff and twenty patients (idempotent), and prints the demo logins."

    @transaction.atomic
    def handle(self, *args, **options):
        # Hashing is slow on purpose; every demo login shares one password, so hash it once.
        self.password_hash = make_password(DEMO_PASSWORD)
        clinic, _ = Clinic.objects.get_or_create(
            name=CLINIC["name"], defaults={**CLINIC, "time_zone": settings.CLINIC_TIME_ZONE}
        )
        for weekday, opens, closes in OPENING_HOURS:
            OpeningHours.objects.get_or_create(clinic=clinic, weekday=weekday, opens=opens, closes=closes)
        for name in ROOMS:
            Room.objects.get_or_create(clinic=clinic, name=name)

        for local, first, last, role, title in STAFF:
            user = self._user(f"{local}@{DEMO_DOMAIN}", first, last)
            staff = StaffMember.objects.filter(user=user).first() or StaffMember(user=user, role=role)
            staff_member_save(staff=staff)
            # Staff log in with a second factor; a demo staff member has an authenticator set up
            # already (the secret is printed below, and `manage.py demo_codes` shows today's codes).
            if not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=True)
            if title:
                Clinician.objects.filter(staff=staff).update(title=title)

        for n, (first, last, born) in enumerate(PATIENTS, start=1):
            email = f"patient{n:02d}@{DEMO_DOMAIN}"
            user = self._user(email, first, last)
            wants_sms = n % 3 == 0
            Patient.objects.get_or_create(
                user=user,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "date_of_birth": born,
                    "email": email,
                    "phone": f"+1360555{n + 110:04d}",
                    "preferred_channel": Channel.SMS if wants_sms else Channel.EMAIL,
                    "sms_consent": wants_sms,
                    "sms_consent_at": timezone.now() if wants_sms else None,
                },
            )
        self._seed_apps(clinic)
        self._print_logins()

    def _seed_apps(self, clinic):
        # An app with demo data of its own offers <app>/seed.py with seed_demo(clinic); clinic
        # calls each one it finds without importing the apps that stand on it by name.
        for app_config in apps.get_app_configs():
            if app_config.name == "clinic" or importlib.util.find_spec(f"{app_config.name}.seed") is None:
                continue
            importlib.import_module(f"{app_config.name}.seed").seed_demo(clinic)

    def _user(self, email, first, last):
        user, _ = User.objects.get_or_create(
            email=email,
            defaults={"first_name": first, "last_name": last, "email_verified_at": timezone.now(), "password": self.password_hash},
        )
        return user

    def _print_logins(self):
        out = self.stdout
        out.write(self.style.SUCCESS(f"Demo data ready: {Clinic.objects.count()} clinic, {Clinician.objects.count()} clinicians, "
                                     f"{Room.objects.count()} rooms, {Patient.objects.count()} patients."))
        out.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        for local, first, last, role, _ in STAFF:
            out.write(f"  {role.label:<13} {local + '@' + DEMO_DOMAIN:<26} ({first} {last})")
        out.write(f"  {'Patient':<13} patient01@{DEMO_DOMAIN} … patient{len(PATIENTS):02d}@{DEMO_DOMAIN}")
        out.write("Staff also enter a 6-digit code after the password. Either add a staff member's key to an "
                  "authenticator app (any TOTP app; or open the otpauth:// address on a phone),")
        out.write("or print the current codes with:  .venv/bin/python manage.py demo_codes")
        for local, *_ in STAFF:
            device = TOTPDevice.objects.get(user__email=f"{local}@{DEMO_DOMAIN}", confirmed=True)
            out.write(f"  {local + '@' + DEMO_DOMAIN:<26} key {secret_text(device)}")
            out.write(f"  {'':<26} {device.config_url}")
