"""The questionnaire's steps: number, short title. Forms (intake.forms) hold the questions."""

STEP_TITLES = {
    1: "About you",
    2: "Pregnancy",
    3: "Blood clots and circulation",
    4: "Medicines and allergies",
    5: "General health",
    6: "Your legs, earlier treatment and plans",
    7: "Check and send",
}
LAST_STEP = max(STEP_TITLES)  # the review, consent and send step; every other step saves a draft
