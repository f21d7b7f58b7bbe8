"""State changes for people: each one transaction, each returning the object or raising ClinicError."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import ROLE_GROUPS, Channel, Clinician, Patient, Role, StaffMember, User


class ClinicError(Exception):
    """A refusal with a message fit to show the person who asked."""


class EmailVerificationTokenGenerator(PasswordResetTokenGenerator):
    """Signed, expiring link; using it (or changing the address) makes it stale."""

    key_salt = "clinic.services.EmailVerificationTokenGenerator"

    def _make_hash_value(self, user, timestamp):
        return f"{user.pk}{user.email}{user.email_verified_at}{timestamp}"


email_verification_token = EmailVerificationTokenGenerator()


@dataclass(frozen=True)
class PatientDetails:
    first_name: str
    last_name: str
    date_of_birth: date
    phone: object  # PhoneNumber or ""
    preferred_channel: str
    sms_consent: bool


def _apply_details(patient: Patient, details: PatientDetails) -> None:
    was_consenting = patient.sms_consent
    for field in ("first_name", "last_name", "date_of_birth", "phone", "preferred_channel", "sms_consent"):
        setattr(patient, field, getattr(details, field))
    if details.sms_consent and not was_consenting:
        patient.sms_consent_at = timezone.now()
    elif not details.sms_consent:
        patient.sms_consent_at = None
    if patient.preferred_channel == Channel.SMS and not (patient.sms_consent and patient.phone):
        raise ClinicError("Text messages need a mobile number and your agreement to receive them.")


@transaction.atomic
def patient_sign_up(*, email: str, password: str, details: PatientDetails) -> Patient:
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ClinicError("An account with this e-mail address already exists. Log in or reset your password.")
    user = User.objects.create_user(
        email=email, password=password, first_name=details.first_name, last_name=details.last_name
    )
    patient = Patient(user=user, email=email)
    _apply_details(patient, details)
    patient.save()
    transaction.on_commit(lambda: send_verification_email(user))
    return patient


@transaction.atomic
def patient_register(*, email: str, details: PatientDetails, by) -> Patient:
    """Staff add a patient (on the phone, at the desk) without an account; they can sign up later.

    Refused when the e-mail address, or the same name and date of birth, is already on file, so
    the desk picks the existing record instead of making a second one.
    """
    from . import audit

    email = User.objects.normalize_email(email).lower()
    same = Patient.objects.filter(email__iexact=email).first() or Patient.objects.filter(
        first_name__iexact=details.first_name, last_name__iexact=details.last_name, date_of_birth=details.date_of_birth
    ).first()
    if same is not None:
        born = f"{same.date_of_birth.day} {same.date_of_birth:%b %Y}"
        raise ClinicError(f"{same.full_name} (born {born}) is already on file: choose them instead.")
    patient = Patient(email=email)
    _apply_details(patient, details)
    patient.save()
    audit.record(actor=by, action="clinic.patient.created", patient=patient, obj=patient)
    return patient


@transaction.atomic
def patient_update_profile(*, patient: Patient, email: str, details: PatientDetails) -> Patient:
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _apply_details(patient, details)
    email = User.objects.normalize_email(email).lower()
    email_changed = email != patient.email.lower()
    user = patient.user
    if email_changed and user is not None:
        if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
            raise ClinicError("Another account already uses this e-mail address.")
        user.email = email
        user.email_verified_at = None  # the new address must be proven before the next booking
    patient.email = email
    patient.save()
    if user is not None:
        user.first_name, user.last_name = patient.first_name, patient.last_name
        user.save(update_fields=["email", "email_verified_at", "first_name", "last_name"])
        if email_changed:
            transaction.on_commit(lambda: send_verification_email(user))
    return patient


def verification_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("verify_email", args=[uid, email_verification_token.make_token(user)])
    return f"{settings.SITE_URL}{path}"


def send_verification_email(user: User) -> None:
    from .models import Clinic

    context = {"user": user, "url": verification_url(user), "clinic": Clinic.objects.current()}
    send_mail(
        subject="Please confirm your e-mail address",
        message=render_to_string("emails/verify_email.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


@transaction.atomic
def user_verify_email(*, user: User, token: str) -> User:
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.email_verified_at is not None:
        return user
    if not email_verification_token.check_token(user, token):
        raise ClinicError("This confirmation link is invalid or has expired. Log in to get a new one.")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    return user


@transaction.atomic
def staff_member_save(*, staff: StaffMember) -> StaffMember:
    """Saves a staff member and makes their account's groups and flags match the role.

    A role change takes the old role's permissions away in the same transaction; an
    inactive staff member keeps the record but loses every staff permission.
    """
    staff.save()
    user = staff.user
    role_groups = Group.objects.filter(name__in=ROLE_GROUPS.values())
    user.groups.remove(*role_groups)
    if staff.is_active:
        user.groups.add(Group.objects.get(name=ROLE_GROUPS[Role(staff.role)]))
    # Every role works in the Django admin too; what they may do there comes from the group.
    user.is_staff = staff.is_active
    user.save(update_fields=["is_staff"])
    if staff.role == Role.CLINICIAN:
        Clinician.objects.get_or_create(staff=staff)
    return staff
