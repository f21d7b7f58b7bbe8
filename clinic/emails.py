"""What the account e-mails say: the renderers clinic registers with the outbox (clinic.apps).

Links and tokens are made when a message is rendered (as it leaves), from ids alone, so a queued
message never holds a live token. A renderer returns None when there is nothing to send any more.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from . import outbox
from .models import Clinic, User

EMAIL_CHANGE_SALT = "clinic.email_change"


def _user(request: outbox.Request) -> User | None:
    return User.objects.filter(pk=request.user_id, is_active=True).first() if request.user_id else None


def _render(to: str, subject: str, template: str, **context) -> outbox.Rendered:
    context.setdefault("clinic", Clinic.objects.current())
    return outbox.Rendered(to=to, subject=subject, body=render_to_string(template, context))


def verify_email(request: outbox.Request):
    from .services import verification_url

    user = _user(request)
    if user is None or user.email_verified:
        return None
    return _render(user.email, _("Please confirm your e-mail address"), "emails/verify_email.txt", user=user,
                   url=verification_url(user))


def password_reset(request: outbox.Request):
    user = _user(request)
    if user is None or not user.has_usable_password():
        return None
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    path = reverse("password_reset_confirm", kwargs={"uidb64": uid, "token": default_token_generator.make_token(user)})
    return _render(user.email, _("Choose a new password"), "emails/password_reset.txt", user=user,
                   url=f"{settings.SITE_URL}{path}")


def sign_up_existing(request: outbox.Request):
    user = _user(request)
    if user is None:
        return None
    return _render(user.email, _("Someone tried to create an account with your address"), "emails/sign_up_existing.txt",
                   user=user, login_url=f"{settings.SITE_URL}{reverse('login')}",
                   reset_url=f"{settings.SITE_URL}{reverse('password_reset')}")


def email_change_token(user: User, new_email: str) -> str:
    """Signed: this account, from its current address, to the new one. Stale once the address changed."""
    return signing.dumps({"u": user.pk, "from": user.email, "to": new_email}, salt=EMAIL_CHANGE_SALT, compress=True)


def email_change_confirm(request: outbox.Request):
    user = _user(request)
    new_email = request.params.get("to", "")
    if user is None or not new_email or new_email == user.email:
        return None
    path = reverse("email_change_confirm", args=[email_change_token(user, new_email)])
    return _render(new_email, _("Confirm your new e-mail address"), "emails/email_change_confirm.txt", user=user,
                   url=f"{settings.SITE_URL}{path}")


def email_change_notice(request: outbox.Request):
    """To the old address: someone asked to move the account elsewhere (a stolen session shows up here)."""
    user = _user(request)
    if user is None:
        return None
    return _render(request.params["from"], _("A change of e-mail address was asked for"), "emails/email_change_notice.txt",
                   user=user, new_email=request.params.get("to", ""), reset_url=f"{settings.SITE_URL}{reverse('password_reset')}")


def two_factor_reset(request: outbox.Request):
    user = _user(request)
    if user is None:
        return None
    return _render(user.email, _("Your two-factor sign-in was reset"), "emails/two_factor_reset.txt", user=user,
                   by=request.params.get("by", ""), login_url=f"{settings.SITE_URL}{reverse('login')}")


def register() -> None:
    outbox.register("clinic.verify_email", verify_email)
    outbox.register("clinic.password_reset", password_reset)
    outbox.register("clinic.sign_up_existing", sign_up_existing)
    outbox.register("clinic.email_change_confirm", email_change_confirm)
    outbox.register("clinic.email_change_notice", email_change_notice)
    outbox.register("clinic.two_factor_reset", two_factor_reset)
