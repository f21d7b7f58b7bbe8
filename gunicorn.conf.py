"""gunicorn settings for production (README): `gunicorn clinic.wsgi -c gunicorn.conf.py ...`.

The access log never holds a query string (patient search terms, dates a patient looked at) nor
a signed link's token (it would let anyone reading the logs cancel or move that visit): the
request line is written as method, masked path and protocol (clinic.logmask), and the referrer,
which carries the previous page's query string, is left out.
"""

from gunicorn.glogging import Logger

from clinic.logmask import mask_path

accesslog = "-"
errorlog = "-"
# %(r)s, %(U)s and %(q)s are replaced below by the masked path; %(f)s (referrer) is not logged.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'


class MaskingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        path = mask_path(atoms.get("U", ""))
        atoms["U"] = path
        atoms["q"] = ""
        atoms["r"] = f"{atoms.get('m', '')} {path} {atoms.get('H', '')}"
        atoms["f"] = "-"
        return atoms


logger_class = MaskingLogger
