"""Response headers and logs (issue 11.8): a CSP with no inline script, Permissions-Policy with the
camera only where photos are taken, no-store everywhere, and no token or search term in a log."""

import logging
import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.utils import ROOT

pytestmark = pytest.mark.django_db


def directives(response) -> dict:
    policy = response["Content-Security-Policy"]
    return {d.split()[0]: d.split()[1:] for d in (p.strip() for p in policy.split(";")) if d}


def test_every_page_has_a_csp_without_inline_script_and_cannot_be_framed(client, patient):
    for response in (client.get(reverse("home")), client.get(reverse("login"))):
        csp = directives(response)
        assert csp["script-src"] == ["'self'"] and csp["default-src"] == ["'self'"]
        assert csp["frame-ancestors"] == ["'none'"] and csp["object-src"] == ["'none'"]
        assert "'unsafe-inline'" not in csp["style-src"]
    client.force_login(patient.user)
    assert "frame-ancestors 'none'" in client.get(reverse("patient_home"))["Content-Security-Policy"]


TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=[str(t.relative_to(ROOT)) for t in TEMPLATES])
def test_no_template_has_inline_script_or_event_handlers(template: Path):
    html = template.read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>: move it to static/js/"
    assert not re.search(r"\son[a-z]+\s*=", html), "on*= attribute: bind the event in static/js/"
    assert "javascript:" not in html


def test_the_admin_works_under_the_csp(admin_client):
    """Django's admin pages load their scripts from files too."""
    page = admin_client.get(reverse("admin:clinic_patient_add")).content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", page)


def test_permissions_policy_gives_no_powerful_feature_by_default(client):
    policy = client.get(reverse("home"))["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_the_camera_opens_only_under_the_photo_prefix(client, settings):
    assert "camera=(self)" in client.get("/treatment/anything/")["Permissions-Policy"]  # even its 404 page
    assert "camera=()" in client.get("/booking/")["Permissions-Policy"]
    settings.PERMISSIONS_POLICY_BY_PATH = {**settings.PERMISSIONS_POLICY_BY_PATH, "/intake/": {"camera": ["self"]}}
    assert "camera=(self)" in client.get("/intake/")["Permissions-Policy"]  # one line opens it elsewhere


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/booking/link/not-a-token/"])
def test_every_page_is_no_store(client, url):
    assert "no-store" in client.get(url)["Cache-Control"]


def test_a_view_that_asks_for_caching_keeps_it_only_for_visitors(rf, patient):
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpResponse

    from clinic.middleware import NoStoreMiddleware

    def cached_view(request):
        response = HttpResponse("ok")
        response["Cache-Control"] = "max-age=60"
        return response

    request = rf.get("/")
    request.user = AnonymousUser()
    assert NoStoreMiddleware(cached_view)(request)["Cache-Control"] == "max-age=60"
    request.user = patient.user
    assert "no-store" in NoStoreMiddleware(cached_view)(request)["Cache-Control"]


# --- logs ------------------------------------------------------------------------------------------


def test_gunicorn_access_log_drops_query_strings_and_masks_signed_links():
    import importlib.util
    from datetime import timedelta

    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    from gunicorn.config import Config

    cfg = Config()
    cfg.set("accesslog", None)
    logger = conf.MaskingLogger(cfg)

    class Req:
        method, query, version, headers = "GET", "q=alice+walker", (1, 1), [("REFERER", "https://x/staff/?q=alice")]
        path = "/booking/link/eyJhIjoxfQ:1tX9:abc/cancel/"
        uri = path + "?q=alice+walker"

    class Resp:
        status, sent, headers, response_length = "200 OK", 10, [], 10

    environ = {"REQUEST_METHOD": "GET", "RAW_URI": Req.uri, "PATH_INFO": Req.path, "QUERY_STRING": Req.query,
               "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.7", "HTTP_REFERER": "https://x/staff/?q=alice"}
    atoms = logger.atoms(Resp(), Req(), environ, timedelta(milliseconds=5))
    line = conf.access_log_format % atoms
    assert "/booking/link/***/cancel/" in line
    assert "eyJhIjoxfQ" not in line and "alice" not in line and "?" not in line
    assert atoms["r"] == "GET /booking/link/***/cancel/ HTTP/1.1" and atoms["q"] == "" and atoms["f"] == "-"


@pytest.mark.parametrize(("path", "masked"), [
    ("/accounts/reset/MQ/c8x-123abc/", "/accounts/reset/***/"),
    ("/accounts/verify/MQ/c8x-123abc/", "/accounts/verify/***/"),
    ("/accounts/email/confirm/eyJ1Ijo:1t:xyz/", "/accounts/email/confirm/***/"),
    ("/staff/?q=alice+walker", "/staff/"),
    ("/booking/link/abc.def/move/?day=2026-05-01", "/booking/link/***/move/"),
])
def test_token_paths_are_masked(path, masked):
    from clinic.logmask import mask_path

    assert mask_path(path) == masked


def test_djangos_own_log_lines_are_masked_too(client, caplog):
    from clinic.logmask import MaskSecretsFilter

    logger = logging.getLogger("django.request")
    logger.addFilter(MaskSecretsFilter())
    try:
        with caplog.at_level(logging.WARNING, logger="django.request"):
            client.get("/booking/link/eyJhIjoxfQ:secret-token/cancel/?q=alice")
    finally:
        logger.removeFilter(logger.filters[-1])
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "secret-token" not in text and "alice" not in text
