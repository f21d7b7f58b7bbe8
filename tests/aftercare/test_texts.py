"""The default wording: text messages that say nothing of the treatment, and its rewording migration."""

import importlib

import pytest

from aftercare.models import ReminderTemplate
from aftercare.texts import DEFAULT_TEXTS
from clinic.models import Channel

# Words that would tell whoever reads the phone's lock screen what the visit is for.
TREATMENT_WORDS = ("sclero", "vein", "inject", "medicine", "aspirin", "pregnan", "treatment", "session", "stocking",
                   "shav", "leg", "clot", "pain", "bruis", "aftercare")


@pytest.mark.parametrize("kind", sorted(DEFAULT_TEXTS))
def test_no_default_text_message_says_what_the_visit_is_for(kind):
    context = {"clinic": {"name": "CLINIC"}, "patient": {"first_name": "Alice"}, "when": "Friday 20 March at 1:00 PM",
               "window_last_day": "Friday 3 April", **{f"{n}_url": "https://x.example/l/" for n in
                                                     ("manage", "aftercare", "checkin", "book", "reconfirm")}}
    template = ReminderTemplate(kind=kind, email_subject="", email_body="", sms_body=DEFAULT_TEXTS[kind]["sms"])
    _, body = template.render(Channel.SMS, context)
    for word in TREATMENT_WORDS:
        assert word not in body.lower(), (kind, word)


@pytest.mark.django_db
def test_the_clinics_untouched_text_messages_are_reworded_and_its_own_kept():
    from django.apps import apps as live_apps

    migration = importlib.import_module("aftercare.migrations.0004_neutral_text_messages")
    ReminderTemplate.objects.filter(kind="stockings").update(sms_body=migration.OLD["stockings"])
    ReminderTemplate.objects.filter(kind="aftercare").update(sms_body="CLINIC: our own words")
    migration.reword(live_apps, None)
    assert ReminderTemplate.objects.get(kind="stockings").sms_body == DEFAULT_TEXTS["stockings"]["sms"]
    assert ReminderTemplate.objects.get(kind="aftercare").sms_body == "CLINIC: our own words"
