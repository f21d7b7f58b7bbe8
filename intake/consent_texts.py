"""The consent text this app ships with. The database (ConsentText) is where versions live; this
first version is loaded by migration intake.0002. Never change a published version: publish a new
one (Clinic settings -> Consent texts), and patients sign it again before their next booking."""

FIRST_VERSION = "2026.1"
FIRST_TITLE = "Consent to sclerotherapy"
FIRST_BODY = """\
Sclerotherapy treats small veins by injecting a medicine (a sclerosant) that makes them close and fade over the following weeks. Most people need two to four sessions, a few weeks apart.

What to expect. Bruising, small tender lumps, itching and darker marks on the skin along the treated veins are common; they usually fade over weeks to months. New tiny veins (matting) can appear near treated areas. Results vary, and some veins may not fade completely.

Rare but serious risks. An allergic reaction to the medicine, a skin wound where the medicine leaks, a blood clot in a deeper vein, or, very rarely, problems with sight, speech or the heart. The clinic is prepared to act at once if anything like this happens. If you ever get chest pain, shortness of breath, a painful swollen leg, or trouble seeing or speaking after a session, call emergency services.

Your part. Your health answers are true and complete as far as you know, and you will tell us if anything changes before a session. You will follow the before- and after-care instructions (walking after each session, compression stockings, no heat or long flights for a few days).

Your choice. You can ask questions at any time, and you can stop the treatment whenever you wish. Signing this form does not commit you to any session.

By typing your full name below you confirm that you have read this, that your questions have been answered, and that you agree to sclerotherapy at this clinic."""
