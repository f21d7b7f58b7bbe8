"""Print whether messages flow: the same figures as /health/ and the staff home.

    python manage.py reminders_status          # exit status 0 when all is well, 1 otherwise
    python manage.py reminders_status --alert  # also e-mail the clinic admin once if stalled (for cron)
"""

import json

from django.core.management.base import BaseCommand

from clinic import health


class Command(BaseCommand):
    help = "Whether reminders and other messages are going out (database, broker, dispatcher, oldest due message)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print the /health/ JSON")
        parser.add_argument("--alert", action="store_true", help="e-mail the clinic admin once if messages are stalled")

    def handle(self, *args, **options):
        status, body = health.report()
        if options["json"]:
            self.stdout.write(json.dumps(body, indent=2))
        else:
            self.stdout.write(self._describe(body))
        if options["alert"] and status == 200:
            outcome = health.alert_if_stalled()
            if outcome:
                self.stdout.write(f"stall alarm {outcome}")
        if body.get("status") != "ok":
            raise SystemExit(1)

    def _describe(self, body) -> str:
        if body.get("status") == "down":
            return "database: NOT REACHABLE\nstatus: down"
        d, m = body["dispatcher"], body["oldest_due_message"]
        lines = ["database: ok"]
        if "broker" in body:
            lines.append("broker: ok" if body["broker"]["ok"] else f"broker: NOT REACHABLE ({body['broker'].get('error')})")
        if d["last_run"] is None:
            lines.append("dispatcher: has not run yet")
        else:
            lines.append(f"dispatcher: last ran {d['minutes_ago']} min ago ({d['last_run']})" + ("" if d["ok"] else "  STOPPED"))
        if m["due_at"] is None:
            lines.append("due messages: none waiting")
        else:
            lines.append(f"due messages: {m['waiting']} waiting, the oldest due {m['minutes_late']} min ago"
                         + ("" if m["ok"] else "  LATE"))
        lines.append(f"status: {body['status']}")
        return "\n".join(lines) + "\n"
