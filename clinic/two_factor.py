"""Staff two-factor sign-in (TOTP, django-otp): enrol, verify, recovery codes, a clinic admin's reset.

Each function is one transaction and writes its audit entry; refusals raise ClinicError. Views
call django_otp.login() themselves with the device returned (it needs the request).

The secret is shown once, while enrolling (QR code and text); recovery codes are single-use
(django-otp's static device deletes a code when it is used).
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, outbox
from .access import needs_second_factor
from .models import User
from .services import ClinicError

APP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def device_for_setup(user: User) -> TOTPDevice:
    """The unconfirmed device being enrolled (the same secret on every reload until confirmed)."""
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        raise ClinicError(_("Two-factor sign-in is already set up for this account."))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// address as an inline SVG QR code (no image file, nothing for CSP to allow)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#000", light="#fff", title=_("QR code to scan with your authenticator app"))


def secret_text(device: TOTPDevice) -> str:
    """The base32 secret in groups of four, for typing into an app by hand."""
    from base64 import b32encode

    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def device_confirm(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirms the device being enrolled with a code from the app; returns it and new recovery codes.

    A wrong code is refused after its audit entry is committed (a refusal must stay on record).
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            raise ClinicError(_("Start again: open the set-up page to get a new QR code."))
        confirmed = device.verify_token(_digits(token))
        if confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            codes = _new_recovery_codes(user)
            audit.record(actor=user, action="clinic.two_factor.enrolled", obj=device)
            return device, codes
        audit.record(actor=user, action="clinic.two_factor.enrol_failed")
    raise ClinicError(_("That code did not match. Check the time on your phone is right, and enter the newest code."))


def verify(*, user: User, token: str):
    """The device that accepts ``token`` (the app's 6-digit code, or an unused recovery code).

    Raises ClinicError otherwise, after the failure (and django-otp's throttling count) is committed.
    """
    token = token.strip().replace(" ", "").replace("-", "").lower()
    with transaction.atomic():
        if len(token) == 6 and token.isdigit():
            device, reason = _verify_app(user, token)
        else:
            device, reason = _verify_recovery_code(user, token)
        if device is None:
            audit.record(actor=user, action="clinic.login.second_factor_failed", details={"reason": reason})
    if device is not None:
        return device
    if reason == "throttled":
        raise ClinicError(_("Too many wrong codes. Wait a minute, then enter the newest code from your app."))
    raise ClinicError(_("That code is not right. Enter the newest 6-digit code from your app, or one of your recovery codes."))


def _verify_app(user: User, token: str):
    app = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if app is None:
        return None, "no_device"
    if not app.verify_is_allowed()[0]:
        return None, "throttled"
    if not app.verify_token(token):
        return None, "wrong_code"
    audit.record(actor=user, action="clinic.login.second_factor_passed", obj=app, details={"method": "app"})
    return app, ""


def _verify_recovery_code(user: User, token: str):
    recovery = StaticDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if recovery is None:
        return None, "no_recovery_codes"
    if not recovery.verify_is_allowed()[0]:
        return None, "throttled"
    if not recovery.verify_token(token):
        return None, "wrong_code"
    left = StaticToken.objects.filter(device=recovery).count()
    audit.record(actor=user, action="clinic.login.second_factor_passed", obj=recovery,
                 details={"method": "recovery_code", "codes_left": left})
    return recovery, ""


@transaction.atomic
def recovery_codes_renew(*, user: User) -> list[str]:
    codes = _new_recovery_codes(user)
    audit.record(actor=user, action="clinic.two_factor.recovery_codes_renewed")
    return codes


def recovery_codes(user: User) -> list[str]:
    return list(StaticToken.objects.filter(device__user=user, device__confirmed=True).order_by("pk").values_list("token", flat=True))


def _new_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(settings.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def reset(*, user: User, by: User) -> None:
    """A clinic admin clears a staff member's lost device: they enrol again at their next login.

    Nobody resets their own (that would skip the factor they are meant to prove), and only a
    superuser resets a superuser's.
    """
    if user.pk == by.pk:
        raise ClinicError(_("You cannot reset your own two-factor sign-in. Ask another clinic admin."))
    if user.is_superuser and not by.is_superuser:
        raise ClinicError(_("Only a superuser can reset a superuser's two-factor sign-in."))
    if not needs_second_factor(user):
        raise ClinicError(_("This account does not use two-factor sign-in."))
    removed = TOTPDevice.objects.filter(user=user).delete()[0] + StaticDevice.objects.filter(user=user).delete()[0]
    audit.record(actor=by, action="clinic.two_factor.reset", obj=user, details={"devices_removed": removed})
    outbox.enqueue("clinic.two_factor_reset", user=user, params={"by": by.get_full_name() or by.email}, urgent=True)


def _digits(token: str) -> str:
    return "".join(ch for ch in str(token) if ch.isdigit())
