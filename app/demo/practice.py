"""Demo practice log: cases in progress, completed and verified, waiting, returned, and one with a risk."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.extensions import db

# username: [(client code, intervention, [(session, days ago, PSYCHLOPS before, after, risks, review)])]
# review: "verified", "returned: <comment>", "submitted" or "draft".
DEMO_PRACTICE = {
    "trainee": [
        ("CH-0101", "pm_plus", [(1, 24, 15, None, [], "verified"), (2, 17, None, None, [], "verified"),
                                (3, 10, None, None, [], "returned: Anota la duración real de la visita y qué "
                                                        "estrategia practicaron.")]),
        ("CH-0102", "pm_plus", [(1, 2, 13, None, [], "draft")]),
    ],
    "rosa.vazquez": [
        ("CH-0201", "pm_plus", [(1, 40, 16, None, [], "verified"), (2, 33, None, None, [], "verified"),
                                (3, 26, None, None, [], "verified"), (4, 19, None, None, [], "verified"),
                                (5, 12, None, 7, [], "verified")]),
        ("L-0202", "pfa", [(1, 5, None, None, [], "verified")]),
    ],
    "juana.diaz": [
        ("CH-0301", "pm_plus", [(1, 35, 18, None, [], "verified"), (2, 28, None, None, ["suicidal_thoughts"], "verified"),
                                (3, 21, None, None, [], "submitted"), (4, 14, None, None, [], "submitted"),
                                (5, 7, None, 11, [], "submitted")]),
    ],
    "pedro.ramirez": [
        ("CH-0401", "pm_plus", [(1, 6, 12, None, [], "returned: El código del cliente no coincide con tu lista. "
                                                     "Revísalo.")]),
    ],
}
RISK_ACTION = "Plan de seguridad con la persona; avisé a mi supervisor el mismo día."


def seed_practice(supervisor: User) -> None:
    """Log the demo sessions through the services (so the rules apply), once per trainee."""
    from app.practice import services
    from app.practice.models import DeliveryMode, Intervention, PracticeCase, ReviewDecision
    from app.training.queries import local_today

    today = local_today()
    for username, cases in DEMO_PRACTICE.items():
        trainee = db.session.scalar(sa.select(User).where(User.username == username))
        if trainee is None or db.session.scalar(
                sa.select(PracticeCase.id).where(PracticeCase.trainee_id == trainee.id).limit(1)) is not None:
            continue
        for code, intervention, sessions in cases:
            for number, days_ago, before, after, risks, review in sessions:
                data = services.EntryData(
                    client_code=code, intervention=Intervention(intervention), session_number=number,
                    delivered_on=today - timedelta(days=days_ago), duration_minutes=90 if number == 1 else 60,
                    mode=DeliveryMode.HOME_VISIT if number % 2 else DeliveryMode.CLINIC,
                    risk_flags=risks or ["none"], risk_action=RISK_ACTION if risks else None,
                    outcome_before=before, outcome_after=after)
                entry = services.save_entry(trainee, data, submit=review != "draft", today=today)
                if review == "verified":
                    services.review_entry(entry, supervisor, ReviewDecision.VERIFIED, None)
                elif review.startswith("returned: "):
                    services.review_entry(entry, supervisor, ReviewDecision.RETURNED, review.removeprefix("returned: "))
