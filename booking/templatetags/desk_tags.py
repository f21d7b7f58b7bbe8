"""The calendar grid's cells as HTML.

A busy day has 400 visits and over a thousand cells; the template engine took ~20 times longer to
draw them than this plain loop does, so the cells of a column are written here, every value
escaped, and the page template (booking/desk/_grid.html) lays out the columns around them. The
markup is the same as a template would write: one <li> per cell, in time order.
"""

from urllib.parse import quote

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


def clock(minute: int, *, meridiem: bool = True) -> str:
    """'4:05 PM' (Django's "g:i A") from a wall-clock minute of the day."""
    hour = minute // 60 % 24
    text = f"{hour % 12 or 12}:{minute % 60:02d}"
    return f"{text} {'AM' if hour < 12 else 'PM'}" if meridiem else text


@register.simple_tag(takes_context=True)
def grid_cells(context, column):
    desk = context["desk"]
    moving = desk.moving
    moving_pk = moving.pk if moving is not None else None
    appt_prefix, book_url, move_url = context["appt_prefix"], context["book_url"], context["move_url"]
    who = escape(column.resource.name)
    param = f"{column.param}={column.resource.pk}"
    book_with, move_here = escape(_("book with")), escape(_("move here, with"))
    out = []
    for c in column.cells:
        place = f'style="grid-row: {c.row} / span {c.span}'
        kind = c.kind
        if kind == "visit":
            a = c.payload
            classes = f"cell cell-visit st-{a.status}" + (" is-moving" if a.pk == moving_pk else "")
            drag = f' draggable="true" data-move="{appt_prefix}{a.pk}/move/"' if a.status == "booked" and moving is None else ""
            what = escape(a.service_name)
            if a.sequence:
                what += f" {a.sequence}/{a.planned}"
            if column.room_view:
                what += " · " + escape(a.clinician_name)
            elif a.room_name:
                what += " · " + escape(a.room_name)
            out.append(
                f'<li class="{classes}" {place}; --before: {c.before}; --after: {c.after}"{drag}>'
                f'<a class="visit-link" href="{appt_prefix}{a.pk}/"><span class="v-time">{clock(c.minute, meridiem=False)}–'
                f'{clock(c.end_minute)}</span> <strong class="v-name">{escape(a.patient_name)}</strong> '
                f'<span class="v-what">{what}</span> <span class="v-status">{escape(a.status_label)}</span></a></li>'
            )
        elif kind == "free":
            out.append(
                f'<li class="cell cell-free" {place}"><a href="{book_url}?start={quote(c.start.isoformat())}&amp;{param}">'
                f'{clock(c.minute)}<span class="visually-hidden"> · {book_with} {who}</span></a></li>'
            )
        elif kind == "target":
            out.append(
                f'<li class="cell cell-target" {place}"><a href="{move_url}?start={quote(c.start.isoformat())}'
                f'&amp;clinician={column.resource.pk}">{clock(c.minute)}<span class="visually-hidden"> · {move_here} {who}'
                f"</span></a></li>"
            )
        elif kind in ("timeoff", "closed"):
            out.append(f'<li class="cell cell-{kind}" {place}"><span>{escape(c.label)}</span></li>')
        else:
            out.append(f'<li class="cell cell-{kind}" {place}" aria-hidden="true"></li>')
    if not any(c.kind in ("visit", "free", "target", "timeoff", "closed") for c in column.cells):
        # Only the phone's day list shows it: the grid's shading already says so.
        out.append(f'<li class="cell cell-note">{escape(_("Nothing to book"))}</li>')
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or a number
