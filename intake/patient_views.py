"""Patient pages of the intake (stubs; filled in next)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


questionnaire = step = result = my_answers = update = consent = consent_text = reconfirm = _todo
