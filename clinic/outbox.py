"""The one way out for every e-mail and text message the app sends (DESIGN.md, invariant 8).

An app asks for a message by *kind*, with the ids it is about, inside the transaction of the change
that calls for it. What the message says is rendered only when it goes out, by the renderer the
owning app registered for that kind, so links and tokens in it are made fresh and nothing but ids
wait in the queue (never health data: see DESIGN.md).

    # in the owning app's AppConfig.ready()
    outbox.register("clinic.verify_email", render_verify_email)

    # in a service, inside its transaction
    outbox.enqueue("clinic.verify_email", user=user, urgent=True)

A renderer takes the ``Request`` and returns a ``Rendered`` message, or None when there is nothing
to send any more (e.g. the address was confirmed meanwhile).

``urgent``: a person is waiting for it (a verification link, a password reset, an alert); it is
handed to the workers at once instead of at the dispatcher's next run.

This module is the interface every app uses. Issue 12 moves delivery behind it onto the database
outbox (retries, delivery log, problems list); until then ``enqueue`` sends after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from django.core.mail import EmailMessage
from django.db import transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Request:
    """What was asked for: the kind and the ids it is about (any of them may be None)."""

    kind: str
    user_id: int | None = None
    patient_id: int | None = None
    object_type: str = ""  # "app_label.model" of the object the message is about
    object_id: str = ""
    params: dict = field(default_factory=dict)  # small, JSON-safe, never health data


@dataclass(frozen=True)
class Rendered:
    to: str
    subject: str
    body: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, content, mimetype)


Renderer = Callable[[Request], "Rendered | None"]

_renderers: dict[str, Renderer] = {}


def register(kind: str, renderer: Renderer) -> None:
    _renderers[kind] = renderer


def renderer_for(kind: str) -> Renderer:
    try:
        return _renderers[kind]
    except KeyError:
        raise LookupError(f"No renderer is registered for outbox kind {kind!r}") from None


def enqueue(
    kind: str,
    *,
    user=None,
    patient=None,
    obj=None,
    params: dict | None = None,
    urgent: bool = False,
) -> Request:
    """Ask for one message of ``kind``; it leaves after the surrounding transaction commits."""
    renderer_for(kind)  # an unknown kind is a programming error: fail in the request, not in a worker
    request = Request(
        kind=kind,
        user_id=getattr(user, "pk", None),
        patient_id=getattr(patient, "pk", None),
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        params=dict(params or {}),
    )
    transaction.on_commit(lambda: _deliver_now(request), robust=True)
    return request


def _deliver_now(request: Request) -> None:
    rendered = renderer_for(request.kind)(request)
    if rendered is None:
        return
    message = EmailMessage(subject=rendered.subject, body=rendered.body, to=[rendered.to])
    for filename, content, mimetype in rendered.attachments:
        message.attach(filename, content, mimetype)
    message.send()
