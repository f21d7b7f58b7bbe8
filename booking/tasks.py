from celery import shared_task


@shared_task(ignore_result=True)
def expire_holds():
    """Every minute (beat): holds past their expiry stop blocking in the database too.

    Booking transactions expire holds themselves before they write, so this only keeps the
    table tidy and the desk calendar honest between bookings.
    """
    from .services import holds_expire

    holds_expire()


@shared_task(ignore_result=True)
def refresh_waitlist_matches():
    """Every few minutes (beat): which waiting patients a free time now matches (desk worklist)."""
    from .services import waitlist_matches_refresh

    waitlist_matches_refresh()
