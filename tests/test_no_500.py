"""No page answers 500 to bad input (issue 11.10).

For every URL of the access matrix, as every persona that may open it:
- every form on the page is sent back with each of its fields, one at a time, set to each bad
  value below (the other fields keep what the page filled in);
- every query parameter the URL's view module reads (found in its source) gets each bad value;
- every number in the URL's path is replaced by one too big for the database.
The answer may be anything a person can read (a form error, 400, 404, a redirect) but never 500.
Wrong HTTP methods are covered in tests/test_access_matrix.py (405).
"""

import inspect
import re
from html.parser import HTMLParser

import pytest
from django.urls import resolve, reverse

from tests.access_matrix import MATRIX, PERSONAS
from tests.test_access_matrix import log_in_as, url_for, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_limits(settings):
    """Here every bad value must reach the view itself, not stop at a rate limit or a lockout."""
    settings.RATELIMIT_ENABLE = False
    settings.AXES_ENABLED = False

BAD_VALUES = [
    "9999-12-31", "0001-01-01", "9999-12-31T23:59", "0001-01-01T00:00", "2026-02-30", "99999999999999999999",
    "-1", "1e308", "NaN", "", "x" * 3000, "\x00", "<script>alert(1)</script>", "' OR 1=1 --", "[]",
]
HUGE_ID = "99999999999999999999"


class FormParser(HTMLParser):
    """The forms on a page: action, method and each field with the value the page gave it."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action") or "", "method": (a.get("method") or "get").lower(), "fields": {}})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name") and a.get("type") not in ("submit", "button", "file"):
            fields = self.forms[-1]["fields"]
            if a.get("type") in ("radio", "checkbox"):
                if "checked" in a or a["name"] not in fields:
                    fields[a["name"]] = a.get("value", "on")
            else:
                fields[a["name"]] = a.get("value", "")
        elif tag == "button" and a.get("name"):
            self.forms[-1]["fields"].setdefault(a["name"], a.get("value", ""))
        elif tag in ("select", "textarea") and a.get("name"):
            self._select = a["name"]
            self.forms[-1]["fields"].setdefault(a["name"], "")
        elif tag == "option" and self._select and a.get("value"):
            fields = self.forms[-1]["fields"]
            if not fields.get(self._select) or "selected" in a:
                fields[self._select] = a["value"]

    def handle_endtag(self, tag):
        if tag in ("select", "textarea"):
            self._select = None


def query_parameters(view) -> set[str]:
    """The names a view's module reads from request.GET."""
    module = inspect.getmodule(inspect.unwrap(view))
    source = inspect.getsource(module) if module else ""
    return set(re.findall(r"request\.GET(?:\.get\(|\[)\"([a-z_]+)\"", source)) | (
        {"q"} if "PatientSearchForm" in source else set()) | ({"start", "end", "download"} if "AuditExportForm" in source else set())


def check(response, what):
    assert response.status_code < 500, f"{what}: {response.status_code}"


def page_personas(name):
    line = MATRIX[name]
    return [p for p, e in zip(PERSONAS, line.expected) if e == "200"] if line.method == "GET" else []


GET_PAGES = [(name, persona) for name in MATRIX for persona in page_personas(name)]


@pytest.mark.parametrize(("name", "persona"), GET_PAGES, ids=[f"{n}-{p}" for n, p in GET_PAGES])
def test_bad_values_in_forms_and_query_parameters_never_give_500(client, request, world, name, persona):  # noqa: F811
    log_in_as(client, request, persona)
    url = url_for(name, MATRIX[name].args, world)
    page = client.get(url)
    for param in sorted(query_parameters(resolve(url).func)):
        for value in BAD_VALUES:
            check(client.get(url, {param: value}), f"GET {url}?{param}={value[:20]!r} as {persona}")
    if page.streaming or not page["Content-Type"].startswith("text/html"):
        return  # a file (a photo, a CSV): no forms to fill in
    parser = FormParser()
    parser.feed(page.content.decode(errors="replace"))
    for form in parser.forms:
        if form["action"].startswith(reverse("logout")):
            continue
        target = form["action"] or url
        for field in form["fields"]:
            if field in ("csrfmiddlewaretoken", "next"):
                continue
            for value in BAD_VALUES:
                data = {**form["fields"], field: value}
                response = client.post(target, data) if form["method"] == "post" else client.get(target, data)
                check(response, f"{form['method'].upper()} {target} {field}={value[:20]!r} as {persona}")
        if client.session.get("_auth_user_id") is None and persona != "anonymous":
            log_in_as(client, request, persona)  # a form may have logged the persona out (e.g. a password change)


ID_URLS = [name for name, line in MATRIX.items() if "pk=" in line.args]


@pytest.mark.parametrize("name", ID_URLS)
def test_ids_too_big_for_the_database_are_404(client, request, world, name):  # noqa: F811
    line = MATRIX[name]
    for persona, expected in zip(PERSONAS, line.expected):
        if expected in ("L", "403"):
            continue
        log_in_as(client, request, persona)
        args = re.sub(r"(pk|patient_pk)=\w+", rf"\1={HUGE_ID}", line.args)
        url = url_for(name, args, world)
        response = client.post(url) if line.method == "POST" else client.get(url)
        assert response.status_code == 404, f"{line.method} {url} as {persona}: {response.status_code}"
        client.logout()
