"""The clinic's default reminder wording, in our own words. Clinic admins edit their copy in the admin.

Each text is a Django template. Available everywhere: `patient` (first_name), `clinic` (name,
phone), `when` (the visit's day and time in the clinic's zone), `service` (its name), and links:
`manage_url`, `aftercare_url`, `checkin_url`, `book_url`, `reconfirm_url`; course messages also get
`window_last_day`; the confirmation also `session_of` ("2 of 3"), `clinician` and `clinic.address`.
Text messages never carry health details: they say when, and link to the
patient's own page.
"""

SIGN_OFF = "\n\n{{ clinic.name }} · {{ clinic.phone }}"

DEFAULT_TEXTS = {
    "booking_confirmation": {
        "subject": "Your visit on {{ when }} is booked",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Your {{ service }}{% if session_of %} (session {{ session_of }}){% endif %} is booked for {{ when }}"
            "{% if clinician %} with {{ clinician }}{% endif %}.\n\n"
            "Where: {{ clinic.address }}\n\n"
            "The attached calendar file adds it to your calendar.\n"
            "To move or cancel it, use this link: {{ manage_url }}\n"
            "If it is less than a day away, please call us instead." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: your visit is booked for {{ when }}. Manage it: {{ manage_url }}",
    },
    "pause_medicines": {
        "subject": "Getting ready for your session on {{ when }}: medicines",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Your session is on {{ when }}. Some everyday painkillers make bruising more likely and can make the "
            "treatment work less well: aspirin, ibuprofen (Advil, Motrin), naproxen (Aleve) and similar anti-inflammatory "
            "medicines. Antibiotics and steroid tablets matter too.\n\n"
            "If you take any of these, ask the doctor who prescribed them, or us, whether you can pause them from "
            "now until after your session.\n\n"
            "Never stop a blood thinner or any medicine your doctor told you to take without talking to them first.\n\n"
            "For pain before or after the session, paracetamol (Tylenol) is fine." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: please read how to get ready for your visit on {{ when }}: {{ manage_url }}",
    },
    "reconfirm": {
        "subject": "Has anything changed since you answered our health questions?",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Your session is on {{ when }}. Before it, please tell us whether anything has changed: a pregnancy, new "
            "medicines, a blood clot, or a new allergy. It takes a minute: {{ reconfirm_url }}\n\n"
            "We need your answer before we can treat you." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: please confirm your health details before your visit on {{ when }}: {{ reconfirm_url }}",
    },
    "stockings": {
        "subject": "Two days to go: your compression stockings",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Your session is on {{ when }}. Please have your compression stockings ready and bring them with you: "
            "you will put them on straight after the treatment.\n\n"
            "Not sure which ones to get? Call us and we will help." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: your visit is on {{ when }}. A reminder of what to bring: {{ manage_url }}",
    },
    "day_before_preparation": {
        "subject": "Tomorrow's session: how to prepare",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "A few things for tomorrow, {{ when }}:\n"
            "- Please don't shave your legs, and don't put lotion, cream or oil on them.\n"
            "- Drink plenty of water and have something to eat at least an hour before.\n"
            "- Wear loose, comfortable clothes or shorts, and bring your compression stockings.\n\n"
            "See you tomorrow." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: see you tomorrow, {{ when }}. How to get ready: {{ manage_url }}",
    },
    "appointment_reminder": {
        "subject": "Reminder: your visit on {{ when }}",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "This is a reminder of your {{ service }} on {{ when }}.\n\n"
            "Can't make it? Please move or cancel it here: {{ manage_url }}" + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: reminder of your visit on {{ when }}. Manage it: {{ manage_url }}",
    },
    "aftercare": {
        "subject": "After your session: what to do in the next few days",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Thank you for coming in today. Here is what helps your legs heal well:\n"
            "- Walk for 15 to 30 minutes today, and go for a walk every day this week.\n"
            "- Keep your compression stockings on day and night for the first 2 to 3 days, then during the day "
            "for the next couple of weeks.\n"
            "- For about 3 days: no hot baths, hot tubs or saunas, no sunbathing, and no flights.\n"
            "- For 3 to 5 days: no running, jumping or weight training.\n"
            "- For pain, take paracetamol (Tylenol), not ibuprofen or aspirin.\n\n"
            "Bruises, small lumps, itching and darker skin along the veins are common and fade over the coming "
            "weeks.\n\n"
            "Your day-by-day plan: {{ aftercare_url }}\n\n"
            "If you suddenly feel short of breath, have chest pain, a painful swollen calf, or trouble seeing or "
            "speaking, call 911 straight away." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: what to do in the coming days, after your visit: {{ aftercare_url }}",
    },
    "check_in": {
        "subject": "How are your legs doing?",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "It has been a few days since your session. Please take a minute to tell us how you are: "
            "{{ checkin_url }}\n\n"
            "If something worries you, call us at {{ clinic.phone }}." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: how are you doing since your visit? Tell us here: {{ checkin_url }}",
    },
    "next_session_nudge": {
        "subject": "Time to book your next session",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Your next session should be no later than {{ window_last_day }}, so the veins treated so far don't "
            "open up again. Book it here: {{ book_url }}" + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: please book your next visit before {{ window_last_day }}: {{ book_url }}",
    },
    "window_closing": {
        "subject": "One week left to book your next session",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "The best time for your next session ends on {{ window_last_day }}. After that, the treatment so far "
            "may start to wear off. Book here: {{ book_url }}, or call us." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: one week left to book your next visit (by {{ window_last_day }}): {{ book_url }}",
    },
    "overdue": {
        "subject": "Let's get your treatment back on track",
        "email": (
            "Hello {{ patient.first_name }},\n\n"
            "Your next session was due by {{ window_last_day }}. Please call us or book here: {{ book_url }}. "
            "We will look at the best way to continue." + SIGN_OFF
        ),
        "sms": "{{ clinic.name }}: your next visit is overdue. Please call us or book: {{ book_url }}",
    },
    "overdue_desk": {
        "subject": "Overdue course: {{ patient.first_name }} {{ patient.last_name }}",
        "email": (
            "{{ patient.first_name }} {{ patient.last_name }} has not booked the next session of their course; "
            "it was due by {{ window_last_day }}.\n\nPatient page: {{ patient_url }}"
        ),
        "sms": "",
    },
    "check_in_alert": {
        "subject": "URGENT check-in: {{ patient.first_name }} {{ patient.last_name }}",
        "email": (
            "{{ patient.first_name }} {{ patient.last_name }} ({{ patient_contact }}) answered the check-in after "
            "their session with signs that need attention today. The page told them to seek urgent care. "
            "Please call them.\n\nCheck-in queue: {{ checkin_queue_url }}\nPatient page: {{ patient_url }}"
        ),
        "sms": "",
    },
}
