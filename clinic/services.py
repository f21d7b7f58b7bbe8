"""State changes for people: each one transaction, each returning the object or raising ClinicError."""

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from . import audit, outbox
from .models import ROLE_GROUPS, Channel, Clinician, Patient, Role, StaffMember, User

EMAIL_CHANGE_MAX_AGE = 60 * 60 * 24


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
def patient_sign_up(*, email: str, password: str, details: PatientDetails) -> Patient | None:
    """A new patient and account, and the link to confirm the address; None if the address has one.

    The caller answers the same either way, so sign-up never tells whether an address has an
    account: the owner gets an e-mail instead (and the password is hashed anyway, so the answer
    takes as long).
    """
    email = User.objects.normalize_email(email).lower()
    existing = User.objects.filter(email__iexact=email).first()
    if existing is not None:
        make_password(password)
        audit.record(actor=None, action="clinic.account.sign_up_existing", obj=existing)
        outbox.enqueue("clinic.sign_up_existing", user=existing, urgent=True)
        return None
    user = User.objects.create_user(
        email=email, password=password, first_name=details.first_name, last_name=details.last_name
    )
    patient = Patient(user=user, email=email)
    _apply_details(patient, details)
    patient.save()
    send_verification_email(user)
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
    """Saves the patient's details. A new e-mail address is only asked for: it becomes the
    account's address when confirmed from that address (email_change_confirm)."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    _apply_details(patient, details)
    email = User.objects.normalize_email(email).lower()
    user = patient.user
    if user is None:
        patient.email = email
    patient.save()
    if user is not None:
        user.first_name, user.last_name = patient.first_name, patient.last_name
        user.save(update_fields=["first_name", "last_name"])
        if email != user.email.lower():
            email_change_request(user=user, new_email=email)
    return patient


def email_change_request(*, user: User, new_email: str) -> None:
    """A link to the new address, and a word to the old one (a stolen session shows up there).

    Whether another account uses the new address is told only to whoever opens the link there.
    """
    audit.record(actor=user, action="clinic.account.email_change_requested", obj=user)
    outbox.enqueue("clinic.email_change_confirm", user=user, params={"to": new_email}, urgent=True)
    outbox.enqueue("clinic.email_change_notice", user=user, params={"from": user.email, "to": new_email}, urgent=True)


@transaction.atomic
def email_change_confirm(*, token: str) -> User:
    from .emails import EMAIL_CHANGE_SALT

    try:
        data = signing.loads(token, salt=EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
        pk, old, new = int(data["u"]), str(data["from"]), str(data["to"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ClinicError(_("This link is invalid or has expired. Change the address again in My details.")) from None
    user = User.objects.select_for_update().filter(pk=pk, email=old, is_active=True).first()
    if user is None:
        raise ClinicError(_("This link was already used or has been replaced by a newer one."))
    if User.objects.filter(email__iexact=new).exclude(pk=pk).exists():
        raise ClinicError(_("Another account already uses %(email)s, so it cannot be this account's address too.") % {"email": new})
    user.email, user.email_verified_at = new, timezone.now()  # opening the link proved the address
    user.save(update_fields=["email", "email_verified_at"])
    Patient.objects.filter(user=user).update(email=new, updated_at=timezone.now())
    audit.record(actor=user, action="clinic.account.email_changed", obj=user)
    return user


def verification_url(user: User) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("verify_email", args=[uid, email_verification_token.make_token(user)])
    return f"{settings.SITE_URL}{path}"


def send_verification_email(user: User) -> None:
    outbox.enqueue("clinic.verify_email", user=user, urgent=True)


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
def staff_member_save(*, staff: StaffMember, by: User | None = None) -> StaffMember:
    """Saves a staff member and makes their account's groups and flags match the role.

    A role change takes the old role's permissions away in the same transaction; an
    inactive staff member keeps the record but loses every staff permission. Who gave which
    role is on the audit record.
    """
    before = StaffMember.objects.filter(pk=staff.pk).values("role", "is_active").first() if staff.pk else None
    staff.save()
    after = {"role": staff.role, "is_active": staff.is_active}
    if before != after:
        audit.record(actor=by, action="clinic.staff.role_changed", obj=staff.user,
                     details={"before": before, "after": after})
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
