"""The one way out for every e-mail and text message the app sends (DESIGN.md, invariant 8).

An app asks for a message by *kind*, with the ids it is about, inside the transaction of the change
that calls for it. The request is a row of the database outbox (``OutboxMessage``), so it commits
or rolls back with the change. What the message says is rendered only when it goes out, by the
renderer the owning app registered for that kind, so links and tokens in it are made fresh and
nothing but ids wait in the queue (never health data: see DESIGN.md). The beat's dispatcher and
the workers send it exactly once, with retries, a delivery log and the problems list
(clinic/delivery.py).

    # in the owning app's AppConfig.ready()
    outbox.register("clinic.verify_email", render_verify_email, label=_("E-mail confirmation"))

    # in a service, inside its transaction
    outbox.enqueue("clinic.verify_email", user=user, urgent=True)

A renderer takes the ``Request`` and returns a ``Rendered`` message, or None when there is nothing
to send any more (e.g. the address was confirmed meanwhile); it may raise ``Skip`` with a reason,
or ``Defer`` to try again later (a text due in the quiet hours). Apps that render many messages of
one batch together (aftercare's reminders) register a batch renderer with ``register_batch``.

``urgent``: a person is waiting for it (a verification link, a password reset, an alert); it is
handed to the workers as soon as the change commits instead of at the dispatcher's next run.

``send_at`` plans it for later; ``planned_for`` is the time of what it is about (a visit's
start): with ``obj`` it makes the message unique in the database for that object, time, kind and
channel, and the kind's ``still_due`` check can refuse it at the last moment if that time changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class Request:
    """What was asked for: the kind and the ids it is about (any of them may be None)."""

    kind: str
    user_id: int | None = None
    patient_id: int | None = None
    object_type: str = ""  # "app_label.model" of the object the message is about
    object_id: int | None = None
    params: dict = field(default_factory=dict)  # small, JSON-safe, never health data
    channel: str = "email"
    planned_for: datetime | None = None
    message_id: int | None = None  # the outbox row, once it exists


@dataclass(frozen=True)
class Rendered:
    to: str  # an e-mail address, or an E.164 phone number for a text
    subject: str
    body: str
    attachments: tuple[tuple[str, bytes, str], ...] = ()  # (filename, content, mimetype)
    channel: str | None = None  # None: the channel the message was planned for


class Skip(Exception):
    """Nothing to send any more; the reason goes in the delivery log."""


class Defer(Exception):
    """Not now: try again at ``until`` (e.g. a text message due in the quiet hours)."""

    def __init__(self, until: datetime, reason: str):
        super().__init__(reason)
        self.until = until


Renderer = Callable[[Request], "Rendered | None"]
BatchRenderer = Callable[[list[Request]], "dict[int, Rendered | Exception | None]"]
# Given the kind, a condition on OutboxMessage rows that the database checks in the same statement
# that hands a message to the provider, e.g. "the visit still starts when it was planned for".
StillDue = Callable[[str], object]


@dataclass(frozen=True)
class Kind:
    name: str
    render_batch: BatchRenderer
    label: str
    still_due: StillDue | None = None


_kinds: dict[str, Kind] = {}


def _one_by_one(renderer: Renderer) -> BatchRenderer:
    def render_batch(requests: list[Request]) -> dict:
        results: dict[int, Rendered | Exception | None] = {}
        for request in requests:
            try:
                results[request.message_id] = renderer(request)
            except (Skip, Defer) as exc:
                results[request.message_id] = exc
        return results

    return render_batch


def register(kind: str, renderer: Renderer, *, label: str = "", still_due: StillDue | None = None) -> None:
    """Register the renderer of one kind (from the owning app's ready())."""
    _kinds[kind] = Kind(kind, _one_by_one(renderer), str(label or kind), still_due)


def register_batch(kinds: dict[str, str], render_batch: BatchRenderer, *, still_due: StillDue | None = None) -> None:
    """Register one renderer for several kinds ({kind: label}) that renders a send task's batch at once."""
    for kind, label in kinds.items():
        _kinds[kind] = Kind(kind, render_batch, str(label or kind), still_due)


def kind(name: str) -> Kind:
    try:
        return _kinds[name]
    except KeyError:
        raise LookupError(f"No renderer is registered for outbox kind {name!r}") from None


def label_for(name: str) -> str:
    spec = _kinds.get(name)
    return spec.label if spec else name.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Planned:
    """One message to plan, for ``enqueue_many``."""

    kind: str
    send_at: datetime | None = None
    channel: str = "email"
    user: object = None
    patient: object = None
    obj: object = None
    planned_for: datetime | None = None
    params: dict | None = None
    urgent: bool = False


def enqueue_many(planned: Iterable[Planned]) -> list:
    """Write the messages to the outbox (inside the caller's transaction); returns the rows asked for.

    A message the database already holds for the same object, time, kind and channel is dropped
    (a replayed event, two quick completions): at most once, decided by the unique constraint.
    """
    from .models import OutboxMessage

    now = timezone.now()
    rows = []
    for p in planned:
        kind(p.kind)  # an unknown kind is a programming error: fail in the request, not in a worker
        rows.append(OutboxMessage(
            kind=p.kind, channel=p.channel, send_at=p.send_at or now, urgent=p.urgent,
            user_id=getattr(p.user, "pk", None), patient_id=getattr(p.patient, "pk", None),
            about_type=ContentType.objects.get_for_model(p.obj) if p.obj is not None else None,
            about_id=p.obj.pk if p.obj is not None else None,
            planned_for=p.planned_for, params=dict(p.params or {}),
        ))
    if not rows:
        return []
    written = OutboxMessage.objects.bulk_create(rows, ignore_conflicts=True)
    if any(r.urgent and r.send_at <= now for r in rows):
        transaction.on_commit(dispatch_urgent, robust=True)
    return written


def enqueue(
    kind: str,
    *,
    user=None,
    patient=None,
    obj=None,
    params: dict | None = None,
    urgent: bool = False,
    send_at: datetime | None = None,
    channel: str = "email",
    planned_for: datetime | None = None,
) -> None:
    """Ask for one message of ``kind``; it leaves after the surrounding transaction commits."""
    enqueue_many([Planned(kind, send_at=send_at, channel=channel, user=user, patient=patient, obj=obj,
                          planned_for=planned_for, params=params, urgent=urgent)])


def request_for(message) -> Request:
    """The renderer's view of an outbox row."""
    return Request(
        kind=message.kind, user_id=message.user_id, patient_id=message.patient_id,
        object_type=f"{message.about_type.app_label}.{message.about_type.model}" if message.about_type_id else "",
        object_id=message.about_id, params=dict(message.params or {}), channel=message.channel,
        planned_for=message.planned_for, message_id=message.pk,
    )


def dispatch_urgent() -> None:
    """Hand the urgent messages that are due to the workers now (after commit), not at beat's next minute."""
    from . import delivery

    delivery.hand_out_urgent()
