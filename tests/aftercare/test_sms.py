"""SMS backends; Twilio's adapter talks HTTP to a local stand-in for Twilio's API."""

import base64
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from clinic.sms import FileSMSBackend, SMSError, TwilioSMSBackend
from tests.utils import run_django


class FakeTwilio(BaseHTTPRequestHandler):
    """Answers like Twilio's Messages resource; the status to answer with is set per test."""

    requests: list = []
    reply = (201, {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"})

    def do_POST(self):
        length = int(self.headers["Content-Length"])
        FakeTwilio.requests.append({
            "path": self.path,
            "auth": self.headers.get("Authorization"),
            "form": {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()},
        })
        status, payload = FakeTwilio.reply
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def twilio(settings):
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeTwilio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeTwilio.requests = []
    settings.TWILIO_API_BASE = f"http://127.0.0.1:{server.server_address[1]}"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+13605550100"
    yield FakeTwilio
    server.shutdown()
    server.server_close()


def test_twilio_sends_the_message_with_account_credentials(twilio):
    twilio.reply = (201, {"sid": "SMabc", "status": "queued"})
    assert TwilioSMSBackend().send(to="+12065550147", body="See you tomorrow at 10:00.", reference="m-1") == "SMabc"
    [request] = twilio.requests
    assert request["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert request["form"] == {"To": "+12065550147", "From": "+13605550100", "Body": "See you tomorrow at 10:00."}
    assert request["auth"] == "Basic " + base64.b64encode(b"AC123:secret-token").decode()


@pytest.mark.parametrize(("status", "transient"), [(400, False), (401, False), (429, True), (500, True), (503, True)])
def test_twilio_errors_say_whether_trying_again_can_help(twilio, status, transient):
    twilio.reply = (status, {"code": 21211, "message": "The 'To' number is not a valid phone number."})
    with pytest.raises(SMSError) as error:
        TwilioSMSBackend().send(to="+1", body="x", reference="m-2")
    assert error.value.transient is transient
    assert str(status) in str(error.value)


def test_an_unreachable_twilio_is_a_transient_error(settings):
    settings.TWILIO_API_BASE = "http://127.0.0.1:9"  # discard port: nothing listens
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "AC1", "t", "+13605550100"
    with pytest.raises(SMSError) as error:
        TwilioSMSBackend().send(to="+12065550147", body="x", reference="m-3")
    assert error.value.transient is True


def test_the_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path
    message_id = FileSMSBackend().send(to="+12065550147", body="Hello", reference="m-4")
    [written] = tmp_path.glob("*-m-4.json")
    record = json.loads(written.read_text())
    assert (record["to"], record["body"], record["id"]) == ("+12065550147", "Hello", message_id)


def test_switching_to_twilio_without_its_settings_fails_at_start_up(tmp_path):
    code = "import django; django.setup()"
    result = run_django(code, {"DEBUG": "true", "SMS_BACKEND": "clinic.sms.TwilioSMSBackend",
                               "TWILIO_ACCOUNT_SID": "AC1"}, tmp_path)
    assert result.returncode != 0
    assert "SMS_BACKEND is Twilio but TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER is not set." in result.stderr

