"""Text-message backends, chosen by settings.SMS_BACKEND like Django's e-mail backends.

- FileSMSBackend (default): one file per message under SMS_FILE_PATH; nothing leaves the machine.
- ConsoleSMSBackend: prints each message.
- LocmemSMSBackend: keeps messages in `clinic.sms.outbox` (tests).
- TwilioSMSBackend: Twilio's REST API (Messages resource).

A backend returns the provider's message id, or raises SMSError saying whether trying again
could help (`transient`) or not (a bad number, a refused account).
"""

from __future__ import annotations

import json
import sys
import uuid
from abc import ABC, abstractmethod
from pathlib import Path

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

outbox: list[dict] = []


class SMSError(Exception):
    def __init__(self, message: str, *, transient: bool):
        super().__init__(message)
        self.transient = transient


class BaseSMSBackend(ABC):
    @abstractmethod
    def send(self, *, to: str, body: str, reference: str) -> str:
        """Send `body` to the E.164 number `to`; `reference` is our id for the message."""


class LocmemSMSBackend(BaseSMSBackend):
    def send(self, *, to, body, reference):
        outbox.append({"to": to, "body": body, "reference": reference})
        return f"locmem-{len(outbox)}"


class ConsoleSMSBackend(BaseSMSBackend):
    def send(self, *, to, body, reference):
        sys.stdout.write(f"SMS to {to} [{reference}]:\n{body}\n{'-' * 40}\n")
        sys.stdout.flush()
        return f"console-{uuid.uuid4()}"


class FileSMSBackend(BaseSMSBackend):
    def send(self, *, to, body, reference):
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        message_id = f"file-{uuid.uuid4()}"
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        record = {"to": to, "body": body, "reference": reference, "id": message_id, "at": timezone.now().isoformat()}
        (folder / f"{stamp}-{reference}.json").write_text(json.dumps(record, indent=2))
        return message_id


class TwilioSMSBackend(BaseSMSBackend):
    """POST /2010-04-01/Accounts/{sid}/Messages.json; 201 carries the message's `sid`."""

    def __init__(self):
        self.base = settings.TWILIO_API_BASE.rstrip("/")
        self.account = settings.TWILIO_ACCOUNT_SID
        self.auth = (settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN)
        self.sender = settings.TWILIO_FROM_NUMBER

    def send(self, *, to, body, reference):
        url = f"{self.base}/2010-04-01/Accounts/{self.account}/Messages.json"
        try:
            response = requests.post(url, data={"To": to, "From": self.sender, "Body": body}, auth=self.auth, timeout=15)
        except requests.RequestException as exc:
            raise SMSError(f"Twilio unreachable: {exc.__class__.__name__}", transient=True) from exc
        if response.status_code in (200, 201):
            return response.json()["sid"]
        try:
            detail = response.json()
            reason = f"Twilio {response.status_code} (code {detail.get('code')}): {detail.get('message')}"
        except ValueError:
            reason = f"Twilio {response.status_code}"
        # 429 (rate limited) and 5xx may pass on a later try; other 4xx (bad number, auth) will not.
        raise SMSError(reason, transient=response.status_code == 429 or response.status_code >= 500)


def get_backend() -> BaseSMSBackend:
    return import_string(settings.SMS_BACKEND)()
