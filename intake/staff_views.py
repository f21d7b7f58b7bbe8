"""Staff pages of the intake (stubs; filled in next)."""

from django.http import HttpResponse


def _todo(request, *args, **kwargs):
    return HttpResponse(status=501)


review_queue = screening_answers = screening_decide = _todo
