"""Staff log in with a second factor; tests that are not about it get it the way a person would
have it: a confirmed authenticator device, and codes computed with pyotp from the device's key
(the same algorithm as any authenticator app: RFC 6238, 30-second steps, 6 digits, SHA-1)."""

import time
from base64 import b32encode

import pyotp
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.access import needs_second_factor


def authenticator(device: TOTPDevice) -> pyotp.TOTP:
    """The authenticator app a person would have set up from this device's QR code."""
    return pyotp.TOTP(b32encode(device.bin_key).decode(), digits=device.digits, interval=device.step)


def confirmed_device(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def fresh_code(device: TOTPDevice) -> str:
    """A code the device accepts now: the current step, or the next one if the current one was used
    (a device never takes a step twice); waits for the step after that only if both were used."""
    device.refresh_from_db()
    app = authenticator(device)
    while True:
        now_t = int(time.time() // device.step) + device.drift
        for t in range(now_t - device.tolerance, now_t + device.tolerance + 1):
            if t > device.last_t:
                return app.at(t * device.step)
        time.sleep(1)


def give_second_factor(client, user) -> None:
    """Marks the client's logged-in session as having passed the second factor (staff only)."""
    if not needs_second_factor(user):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = confirmed_device(user).persistent_id
    session.save()
