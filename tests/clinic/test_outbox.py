"""The outbox interface: a message is asked for by kind and rendered only when it goes out."""

import pytest
from django.core import mail
from django.db import transaction

from clinic import outbox

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # like every transactional test: the next one restores roles and permissions


@pytest.fixture
def greeting():
    seen = []

    def render(request):
        seen.append(request)
        return outbox.Rendered(to="ann@example.org", subject="Hello", body=f"Hello {request.params['name']}")

    outbox.register("tests.greeting", render)
    return seen


def test_a_message_is_rendered_and_sent_only_after_the_change_commits(greeting, patient):
    with transaction.atomic():
        outbox.enqueue("tests.greeting", patient=patient, params={"name": "Ann"})
        assert mail.outbox == [] and greeting == []
    assert [m.subject for m in mail.outbox] == ["Hello"]
    assert greeting[0].patient_id == patient.pk


def test_nothing_goes_out_when_the_change_rolls_back(greeting):
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox.enqueue("tests.greeting", params={"name": "Ann"})
        raise RuntimeError
    assert mail.outbox == [] and greeting == []


def test_an_unknown_kind_is_refused_at_once():
    with pytest.raises(LookupError):
        outbox.enqueue("tests.no-such-kind")
