from datetime import date

import factory
from django.utils import timezone

from clinic.models import Clinic, OpeningHours, Patient, Role, Room, StaffMember, User
from clinic.services import staff_member_save

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email_verified_at = factory.LazyFunction(timezone.now)
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    name = "Test Vein Clinic"
    address = "1 Test Street\nSeattle, WA 98101"
    phone = "+12065550100"
    time_zone = "America/Los_Angeles"


class OpeningHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OpeningHours

    clinic = factory.SubFactory(ClinicFactory)
    weekday = 0
    opens = "08:00"
    closes = "18:00"


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Room {n}")


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory, first_name=factory.SelfAttribute("..first_name"), last_name=factory.SelfAttribute("..last_name"))
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = date(1985, 6, 15)
    email = factory.LazyAttribute(lambda p: p.user.email if p.user else f"{p.first_name.lower()}@example.org")
    phone = "+12065550147"


def make_staff(role: Role, **user_fields) -> StaffMember:
    """A staff member the way the app makes one: through the service that syncs role groups."""
    user = UserFactory(**user_fields)
    return staff_member_save(staff=StaffMember(user=user, role=role))
