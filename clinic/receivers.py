"""Logins, failed logins, logouts and lockouts go on the audit record (HIPAA §164.312(b)).

Failed attempts name the address that was typed (it may belong to nobody) and where from; never
the password.
"""

from django.contrib.auth import signals as auth_signals

from . import audit
from .security import client_ip


def _where(request) -> dict:
    return {"ip": client_ip(request)} if request is not None else {}


def logged_in(sender, request, user, **kwargs):
    from .middleware import start_session_clock

    audit.record(actor=user, action="clinic.login.succeeded", obj=user, details=_where(request))
    if request is not None and hasattr(request, "session"):
        start_session_clock(request.session)


def login_failed(sender, credentials, request=None, **kwargs):
    typed = str(credentials.get("username") or credentials.get("email") or "")[:254].strip().lower()
    audit.record(actor=None, action="clinic.login.failed", details={"email": typed, **_where(request)})


def logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit.record(actor=user, action="clinic.logout", obj=user, details=_where(request))


def locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit.record(actor=None, action="clinic.login.locked_out", details={"email": (username or "")[:254], "ip": ip_address or ""})


def connect() -> None:
    from axes.signals import user_locked_out

    auth_signals.user_logged_in.connect(logged_in, dispatch_uid="clinic.audit.logged_in")
    auth_signals.user_login_failed.connect(login_failed, dispatch_uid="clinic.audit.login_failed")
    auth_signals.user_logged_out.connect(logged_out, dispatch_uid="clinic.audit.logged_out")
    user_locked_out.connect(locked_out, dispatch_uid="clinic.audit.locked_out")
