"""Screening status for pages that belong to other apps (patient home, patient detail).

Shows the status only; nothing here reads or renders health answers.
"""

from django import template

from intake import selectors
from intake.eligibility import action_url

register = template.Library()


@register.simple_tag
def screening_status_for(patient):
    verdict = selectors.screening_status(patient)
    current = selectors.current_screening(patient)
    return {
        "verdict": verdict,
        "label": verdict.staff_label,
        "action_url": action_url(verdict.action),
        "screening": current,
        "has_draft": selectors.draft_for(patient) is not None,
    }
