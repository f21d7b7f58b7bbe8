"""Parts of the clinic app's pages that other apps fill in, without clinic importing them.

Apps add a part from their AppConfig.ready():

    sections.register("patient_home", "booking/_patient_section.html", order=20, context=my_context)

and the page shows it with `{% page_sections "patient_home" %}`. The context callable gets the
request and the page's context, and returns the part's extra context, or None to leave it out
(e.g. when the user lacks the permission).
"""

from collections import defaultdict
from dataclasses import dataclass
from typing import Callable

PAGES = (
    "patient_home",
    "patient_detail",
    "staff_home",
    "staff_nav",
    "patient_nav",
    "desk_appointment",  # the desk's page of one visit: actions other apps add (e.g. record the treatment)
    "settings_nav",  # the clinic admin's settings pages: each app adds the tabs of its own settings
)


@dataclass(frozen=True)
class Section:
    template: str
    order: int
    context: Callable[[object, dict], dict | None]


_registry: dict[str, list[Section]] = defaultdict(list)


def _always(request, page_context):
    return {}


def register(page: str, template: str, *, order: int = 50, context=_always) -> None:
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}; pages are {', '.join(PAGES)}")
    if any(s.template == template for s in _registry[page]):
        return  # ready() can run twice (e.g. in tests that reload apps)
    _registry[page].append(Section(template, order, context))
    _registry[page].sort(key=lambda s: s.order)


def for_page(page: str) -> list[Section]:
    return list(_registry[page])
