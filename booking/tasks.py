from celery import shared_task


@shared_task(ignore_result=True)
def expire_holds():
    """Every minute (beat): holds past their expiry stop blocking in the database too.

    Booking transactions expire holds themselves before they write, so this only keeps the
    table tidy and the desk calendar honest between bookings.
    """
    from .services import holds_expire

    holds_expire()
