"""What happens to appointments, announced for other apps (aftercare's reminders, audit, ...).

Booking sends these and never imports who listens. Each is sent *inside* the booking service's
transaction, so a subscriber's writes (e.g. the reminder outbox) commit or roll back with the
change itself. Subscribers must not do slow work here; they write rows and let workers act.

Every signal is sent with sender=Appointment and appointment=<the Appointment, as saved>.
"""

from django.dispatch import Signal

appointment_booked = Signal()  # appointment
appointment_moved = Signal()  # appointment, previous_start, previous_end (aware datetimes)
appointment_cancelled = Signal()  # appointment, by (the User who cancelled, or None for the system)
appointment_completed = Signal()  # appointment
appointment_no_show = Signal()  # appointment
# The patient came but was not treated (reason: the staff's words): no aftercare, and the visit is
# no session of its course.
appointment_not_treated = Signal()  # appointment, reason
# Staff took back today's check-in, completion, "not treated" or no-show (booking.visits):
# appointment (as it is now, back in its earlier status), undone (the status that was taken back:
# "checked_in", "completed", "not_treated" or "no_show"). After an undone completion nothing sent "after the visit" may go out.
appointment_reverted = Signal()
