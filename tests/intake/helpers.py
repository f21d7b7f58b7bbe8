"""Filling in the questionnaire through the real pages, as a patient would."""

from intake.forms import STEP_FORMS
from tests.intake.factories import NOTHING_TO_REPORT


def step_data(step: int, **changes) -> dict:
    """POST data for one step: the nothing-to-report answers of that step, with changes."""
    answers = {**NOTHING_TO_REPORT, **changes}
    data = {}
    for name in STEP_FORMS[step].base_fields:
        value = answers.get(name)
        if value is None:
            continue
        data[name] = value if isinstance(value, list) else str(value)
    return data


def fill_in_questionnaire(client, **changes) -> None:
    """Post steps 1-6; each must be accepted."""
    for step in sorted(STEP_FORMS):
        response = client.post(f"/intake/step/{step}/", step_data(step, **changes))
        assert response.status_code == 302, (step, response.context and response.context["form"].errors)
        assert response["Location"] == f"/intake/step/{step + 1}/"


def send(client, typed_name: str, agree: bool = True):
    data = {"typed_name": typed_name}
    if agree:
        data["agree"] = "on"
    return client.post("/intake/step/7/", data)
