"""The outbox interface: a message is asked for by kind, written with the change, rendered and
sent only by the outbox's workers, exactly once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from clinic import delivery, outbox, tasks
from clinic.models import DeliveryAttempt, MessageStatus, OutboxMessage
from tests.outbox import drain

# serialized_rollback: the flush after each test must not re-run post_migrate, or the next
# serialized test (the browser tests) finds content types already there and cannot restore.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def greeting():
    seen = []

    def render(request):
        seen.append(request)
        if request.params.get("gone"):
            raise outbox.Skip("the address was confirmed meanwhile")
        return outbox.Rendered(to="ann@example.org", subject="Hello", body=f"Hello {request.params['name']}")

    outbox.register("tests.greeting", render, label="Greeting")
    return seen


@pytest.fixture
def handed(monkeypatch):
    """Batches handed to the workers at once (no worker here)."""
    calls = []
    monkeypatch.setattr(tasks.send_outbox, "delay", lambda ids: calls.append(ids))
    return calls


def test_a_message_is_written_with_the_change_and_rendered_only_when_a_worker_sends_it(greeting, patient):
    with transaction.atomic():
        outbox.enqueue("tests.greeting", patient=patient, params={"name": "Ann"})
    assert mail.outbox == [] and greeting == []  # nothing leaves from the request
    message = OutboxMessage.objects.get(kind="tests.greeting")
    assert (message.status, message.patient_id, message.params) == (MessageStatus.PENDING, patient.pk, {"name": "Ann"})
    assert list(drain().values()) == [MessageStatus.SENT]
    assert [m.subject for m in mail.outbox] == ["Hello"]
    assert mail.outbox[0].extra_headers["X-Clinic-Message"] == f"msg-{message.pk}"
    assert greeting[0].patient_id == patient.pk and greeting[0].message_id == message.pk
    assert [a.outcome for a in DeliveryAttempt.objects.filter(message=message)] == ["sent"]


def test_nothing_is_written_or_sent_when_the_change_rolls_back(greeting):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("tests.greeting", params={"name": "Ann"})
        raise RuntimeError
    assert not OutboxMessage.objects.exists()
    assert drain() == {} and mail.outbox == [] and greeting == []


def test_an_unknown_kind_is_refused_at_once():
    with pytest.raises(LookupError):
        outbox.enqueue("tests.no-such-kind")


def test_an_urgent_message_is_handed_to_a_worker_as_soon_as_the_change_commits(greeting, handed):
    with transaction.atomic():
        outbox.enqueue("tests.greeting", params={"name": "Ann"}, urgent=True)
        assert handed == []  # not before the commit
    message = OutboxMessage.objects.get()
    assert handed == [[message.pk]] and message.status == MessageStatus.QUEUED
    assert delivery.send_messages(handed[0]) == {message.pk: MessageStatus.SENT}
    assert len(mail.outbox) == 1


def test_an_ordinary_message_waits_for_the_dispatcher(greeting, handed):
    with transaction.atomic():
        outbox.enqueue("tests.greeting", params={"name": "Ann"})
    assert handed == [] and OutboxMessage.objects.get().status == MessageStatus.PENDING


def test_a_message_planned_for_later_waits_for_its_time(greeting):
    outbox.enqueue("tests.greeting", params={"name": "Ann"}, send_at=timezone.now() + timedelta(hours=1))
    assert drain() == {}
    assert list(drain(timezone.now() + timedelta(hours=1)).values()) == [MessageStatus.SENT]


def test_a_renderer_that_finds_nothing_to_send_skips_the_message_with_its_reason(greeting):
    outbox.enqueue("tests.greeting", params={"gone": True})
    [(message_id, status)] = drain().items()
    assert status == MessageStatus.SKIPPED and mail.outbox == []
    assert OutboxMessage.objects.get(pk=message_id).last_error == "the address was confirmed meanwhile"


def test_a_broker_that_refuses_the_urgent_hand_over_leaves_it_to_the_dispatcher(greeting, monkeypatch):
    from kombu.exceptions import OperationalError

    def down(ids):
        raise OperationalError("broker down")

    monkeypatch.setattr(tasks.send_outbox, "delay", down)
    with transaction.atomic():
        outbox.enqueue("tests.greeting", params={"name": "Ann"}, urgent=True)
    assert OutboxMessage.objects.get().status == MessageStatus.PENDING  # released, nothing lost
    monkeypatch.undo()
    assert list(drain().values()) == [MessageStatus.SENT]


def test_a_renderer_that_breaks_fails_its_message_for_the_problems_list_instead_of_looping(greeting):
    def broken(request):
        raise KeyError("name")

    outbox.register("tests.broken", broken, label="Broken")
    outbox.enqueue("tests.broken")
    outbox.enqueue("tests.greeting", params={"name": "Ann"})
    statuses = drain()
    assert sorted(statuses.values()) == [MessageStatus.FAILED, MessageStatus.SENT]
    failed = OutboxMessage.objects.get(kind="tests.broken")
    assert failed.status == MessageStatus.FAILED and "could not be worded (KeyError)" in failed.last_error
    assert [a.outcome for a in failed.attempt_log.all()] == ["failed"]
