"""Aftercare listens to booking's events; booking never imports aftercare.

Booking sends these inside its transaction, so the outbox rows commit or roll back with the change.
"""

from django.dispatch import receiver

from booking import events

from . import services


@receiver(events.appointment_booked, dispatch_uid="aftercare.booked")
def on_booked(sender, appointment, **kwargs):
    services.plan_for_booking(appointment=appointment)


@receiver(events.appointment_moved, dispatch_uid="aftercare.moved")
def on_moved(sender, appointment, **kwargs):
    services.cancel_pending(appointment=appointment, reason="the visit moved")
    services.plan_for_booking(appointment=appointment)


@receiver(events.appointment_cancelled, dispatch_uid="aftercare.cancelled")
def on_cancelled(sender, appointment, **kwargs):
    services.cancel_pending(appointment=appointment, reason="the visit was cancelled")


@receiver(events.appointment_no_show, dispatch_uid="aftercare.no_show")
def on_no_show(sender, appointment, **kwargs):
    services.cancel_pending(appointment=appointment, reason="the patient did not come")


@receiver(events.appointment_not_treated, dispatch_uid="aftercare.not_treated")
def on_not_treated(sender, appointment, **kwargs):
    services.cancel_pending(appointment=appointment, reason="the patient was not treated")


@receiver(events.appointment_completed, dispatch_uid="aftercare.completed")
def on_completed(sender, appointment, **kwargs):
    services.plan_after_completion(appointment=appointment)


@receiver(events.appointment_reverted, dispatch_uid="aftercare.reverted")
def on_reverted(sender, appointment, undone, **kwargs):
    # A completion taken back: the aftercare it planned has not happened yet, so withdraw what
    # has not gone out (a message a worker holds is stopped by its own send-time check).
    if undone == "completed":
        services.cancel_pending(appointment=appointment, reason="the visit's completion was undone")
