"""The clinic admin's security pages under Clinic settings: staff sign-in (reset a lost device)
and the audit log (CSV export by date range)."""

import csv
from datetime import datetime, time, timedelta

from django.contrib import messages
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit, selectors, two_factor
from .access import get_for_user, staff_required
from .forms import AuditExportForm
from .models import StaffMember
from .services import ClinicError


@require_GET
@staff_required("clinic.reset_second_factor")
def staff_security(request):
    staff = list(StaffMember.objects.select_related("user").order_by("user__last_name", "user__first_name"))
    enrolled = dict(TOTPDevice.objects.filter(user__in=[s.user for s in staff], confirmed=True)
                    .values_list("user_id", "created_at"))
    rows = [{"staff": s, "enrolled_at": enrolled.get(s.user_id), "has_device": s.user_id in enrolled} for s in staff]
    return render(request, "clinic/settings/staff_security.html", {"rows": rows})


@require_POST
@staff_required("clinic.reset_second_factor")
def staff_second_factor_reset(request, pk):
    staff = get_for_user(request.user, StaffMember.objects.select_related("user"), owner="", perm="clinic.reset_second_factor", pk=pk)
    try:
        two_factor.reset(user=staff.user, by=request.user)
    except ClinicError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Two-factor sign-in of %(name)s is reset. They set it up again at their next login; "
                                    "we e-mailed them.") % {"name": staff.user.get_full_name() or staff.user.email})
    return redirect("staff_security")


# CSV cells a spreadsheet would run as a formula (OWASP "CSV injection") start with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class _Echo:
    def write(self, value):
        return value


@require_GET
@staff_required("clinic.view_auditevent")
def audit_log(request):
    """Pick a date range; the page counts the entries, the button downloads them as CSV."""
    form = AuditExportForm(request.GET or None)
    if not form.is_valid():
        return render(request, "clinic/settings/audit_log.html", {"form": form}, status=400 if request.GET else 200)
    tz = timezone.get_current_timezone()
    first, last = form.cleaned_data["start"], form.cleaned_data["end"]
    since = datetime.combine(first, time.min, tzinfo=tz)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz)
    events = selectors.audit_events(since=since, until=until)
    if request.GET.get("download") != "csv":
        context = {"form": form, "count": events.count(), "recent": events.reverse()[:20], "first": first, "last": last}
        return render(request, "clinic/settings/audit_log.html", context)
    audit.record(actor=request.user, action="clinic.audit.exported",
                 details={"from": first.isoformat(), "until": last.isoformat(), "rows": events.count()})
    writer = csv.writer(_Echo())
    header = ["at", "action", "actor_id", "actor_email", "patient_id", "patient", "object_type", "object_id", "details"]

    def rows():
        yield writer.writerow(header)
        for event in events.iterator(chunk_size=2000):
            yield writer.writerow([csv_safe(v) for v in (
                timezone.localtime(event.at, tz).isoformat(), event.action, event.actor_id or "",
                event.actor.email if event.actor else "", event.patient_id or "",
                event.patient.full_name if event.patient else "", event.object_type, event.object_id,
                audit.details_text(event.details),
            )])

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{first.isoformat()}-to-{last.isoformat()}.csv"'
    return response
