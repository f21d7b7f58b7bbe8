"""Settings come from the environment, and production refuses unsafe ones at start-up."""

import re
import shlex

from django.conf import settings

from tests.utils import ROOT, run_django


def readme_production_variables(tmp_path) -> dict:
    """Exactly the variables the README's production section exports (the secret file made real)."""
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"^export (.*?)\npip install", readme, re.S | re.M).group(1).replace("\\\n", " ")
    variables = dict(token.split("=", 1) for token in shlex.split(block))
    key_file = tmp_path / "clinic_key"
    key_file.write_text("r" * 20 + "-readme-production-secret-key-with-enough-entropy-0a1b2c3d4e5f")
    variables["SECRET_KEY_FILE"] = str(key_file)
    return variables

PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "p" * 20 + "-production-secret-key-with-enough-entropy-9f8e7d6c5b4a",
    "ALLOWED_HOSTS": "clinic.example.org",
    "DATABASE_URL": "sqlite:////tmp/deploy-check.sqlite3",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
}


SHOW = "import django; django.setup(); from django.conf import settings as s; print({})"


def test_production_without_secret_key_refuses_to_start(tmp_path):
    result = run_django(SHOW.format("s.DEBUG"), {"DEBUG": "false"}, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "SECRET_KEY must be set" in result.stderr


def test_debug_gets_a_development_secret_key(tmp_path):
    result = run_django(SHOW.format("s.SECRET_KEY"), {"DEBUG": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith("dev-only-insecure-key")


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("from-a-file-" + "k" * 50 + "\n")
    result = run_django(SHOW.format("s.SECRET_KEY"), {"DEBUG": "false", "SECRET_KEY_FILE": str(key_file)}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "from-a-file-" + "k" * 50


def test_an_unknown_clinic_time_zone_fails_at_start_up(tmp_path):
    result = run_django(SHOW.format("s.TIME_ZONE"), {"DEBUG": "true", "CLINIC_TIME_ZONE": "Mars/Olympus_Mons"}, tmp_path)
    assert result.returncode != 0
    assert "CLINIC_TIME_ZONE='Mars/Olympus_Mons' is not a known time zone" in result.stderr


def test_abandoned_reminders_must_wait_longer_than_the_broker_redelivers(tmp_path):
    env = {"DEBUG": "true", "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0"}
    ok = run_django(SHOW.format("s.REMINDER_ABANDONED_MINUTES"), env, tmp_path)
    assert (ok.returncode, ok.stdout.strip()) == (0, "90"), ok.stderr
    too_soon = run_django(SHOW.format("s.REMINDER_ABANDONED_MINUTES"),
                          {**env, "REMINDER_ABANDONED_MINUTES": "60", "CELERY_VISIBILITY_TIMEOUT": "3600"}, tmp_path)
    assert too_soon.returncode != 0
    assert "REMINDER_ABANDONED_MINUTES must be longer than CELERY_VISIBILITY_TIMEOUT" in too_soon.stderr


def test_database_broker_and_email_come_from_urls(tmp_path):
    code = SHOW.format(
        "(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['NAME'], s.DATABASES['default']['HOST'], "
        "s.CELERY_BROKER_URL, s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.TIME_ZONE, s.ALLOWED_HOSTS)"
    )
    result = run_django(code, {
        "DEBUG": "true",
        "DATABASE_URL": "postgres://clinic:pw@db.internal:5432/clinic",
        "CELERY_BROKER_URL": "redis://cache.internal:6379/3",
        "EMAIL_URL": "smtp+tls://mailer:pw@smtp.internal:587",
        "CLINIC_TIME_ZONE": "Europe/London",
        "ALLOWED_HOSTS": "a.example.org,b.example.org",
    }, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str((
        "django.db.backends.postgresql", "clinic", "db.internal", "redis://cache.internal:6379/3",
        "django.core.mail.backends.smtp.EmailBackend", "smtp.internal", 587, True, "Europe/London",
        ["a.example.org", "b.example.org"],
    ))


def test_defaults_need_no_server_at_all(tmp_path):
    code = SHOW.format("(s.DATABASES['default']['ENGINE'], s.DATABASES['default']['OPTIONS']['transaction_mode'], "
                       "s.CELERY_BROKER_URL, s.EMAIL_BACKEND)")
    result = run_django(code, {"DEBUG": "true"}, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str((
        "clinic.db_backends.sqlite3", "IMMEDIATE", "filesystem://", "django.core.mail.backends.filebased.EmailBackend",
    ))


def test_check_deploy_is_clean_with_exactly_the_readmes_production_variables(tmp_path):
    variables = readme_production_variables(tmp_path)
    assert {"CACHE_URL", "TRUSTED_PROXY_COUNT", "SECURE_HSTS_SECONDS"} <= set(variables)
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], variables, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_caches_in_redis_and_sends_hsts_preload(tmp_path):
    code = SHOW.format("(s.CACHES['default']['BACKEND'], s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
                       "s.SESSION_COOKIE_SECURE, s.TRUSTED_PROXY_COUNT)")
    result = run_django(code, readme_production_variables(tmp_path), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(("django_redis.cache.RedisCache", True, True, True, 1))


def test_preload_can_be_switched_off_and_then_check_deploy_says_so(tmp_path):
    variables = {**readme_production_variables(tmp_path), "SECURE_HSTS_PRELOAD": "false"}
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], variables, tmp_path)
    assert result.returncode != 0
    assert "security.W021" in result.stdout + result.stderr


def test_check_deploy_warns_when_production_forgets_https(tmp_path):
    insecure = {k: v for k, v in PRODUCTION.items() if k not in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS")}
    result = run_django(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], insecure, tmp_path)
    assert result.returncode != 0
    assert "security.W004" in result.stderr + result.stdout  # HSTS
    assert "security.W008" in result.stderr + result.stdout  # SSL redirect


def test_test_run_is_not_in_debug_mode():
    assert settings.DEBUG is False


def test_production_serves_collected_static_files_through_whitenoise(tmp_path):
    env = {**PRODUCTION, "STATIC_ROOT": str(tmp_path / "static"), "ALLOWED_HOSTS": "testserver"}
    collected = run_django(["manage.py", "collectstatic", "--no-input", "-v", "0"], env, tmp_path)
    assert collected.returncode == 0, collected.stderr
    code = (
        "import django; django.setup()\n"
        "from django.templatetags.static import static\n"
        "from django.test import Client\n"
        "url = static('css/clinic.css')\n"
        "r = Client().get(url, secure=True)\n"
        "print(url, r.status_code, r.headers.get('Cache-Control'))\n"
    )
    result = run_django(code, env, tmp_path)
    assert result.returncode == 0, result.stderr
    url, status, cache_control = result.stdout.split(maxsplit=2)
    assert url.startswith("/static/css/clinic.") and url.endswith(".css") and url != "/static/css/clinic.css"
    assert status == "200"
    assert "immutable" in cache_control  # hashed names are cached for ever
