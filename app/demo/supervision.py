"""Demo supervision: three months of group and individual sessions for the demo cohort, action items
open and done, one supervisee overdue for supervision, and one case at high risk. Idempotent."""
from __future__ import annotations

from datetime import time, timedelta

import sqlalchemy as sa

from app.auth.models import User
from app.core.db import utcnow
from app.extensions import db
from app.orgs.models import Organisation, Role, RoleAssignment

CLINICAL_LEAD = ("clinical.lead", "Inés Robles Pineda")
OVERDUE = "patricia.cruz"  # last supervised five weeks ago
GROUPS = [
    # days ago, usernames, topics
    (84, ["trainee", "rosa.vazquez", "juana.diaz", "pedro.ramirez", "elena.santiz"], ["case_review", "self_care"]),
    (77, ["miguel.hernandez", "ana.gomez", "sofia.aguilar", "carlos.mendez", OVERDUE], ["skills_practice"]),
    (63, ["trainee", "rosa.vazquez", "juana.diaz", "pedro.ramirez", "elena.santiz"], ["case_review", "risk"]),
    (56, ["guadalupe.ruiz", "teresa.moreno", "jose.lopez", OVERDUE], ["case_review", "administrative"]),
    (42, ["trainee", "rosa.vazquez", "juana.diaz", "pedro.ramirez", "elena.santiz"], ["case_review", "skills_practice"]),
    (35, ["miguel.hernandez", "ana.gomez", "sofia.aguilar", "carlos.mendez", OVERDUE], ["case_review", "self_care"]),
    (21, ["trainee", "rosa.vazquez", "juana.diaz", "pedro.ramirez", "elena.santiz"], ["case_review", "risk"]),
    (14, ["guadalupe.ruiz", "teresa.moreno", "jose.lopez", "miguel.hernandez"], ["case_review"]),
    (7, ["trainee", "rosa.vazquez", "juana.diaz", "ana.gomez", "sofia.aguilar", "carlos.mendez"], ["case_review", "risk"]),
]
INDIVIDUAL = [(49, "pedro.ramirez"), (28, "elena.santiz"), (10, "juana.diaz"), (3, "trainee"), (2, "teresa.moreno")]
CASES = [
    ("CH-0{n:02d}", "pm_plus", "Problemas para dormir desde la pérdida de su trabajo. Practicó el manejo del estrés.",
     "low", "Repasamos la respiración lenta y el plan de la semana.", None),
    ("CH-1{n:02d}", "pm_plus", "Se siente sola; poca red de apoyo. Tareas de activación conductual a medias.",
     "moderate", "Plan para retomar una actividad agradable; revisar en la próxima sesión.", None),
    ("CH-2{n:02d}", "pfa", "Apoyo después de un accidente en la carretera. Necesidades básicas cubiertas.",
     "none", "Escucha y vinculación con el centro de salud.", None),
]
HIGH_RISK_CASE = ("CH-314", "pm_plus", "En la tercera sesión dijo que a veces piensa que sería mejor no despertar.",
                  "high", "Evaluación de riesgo en la sesión y plan de seguridad con su hermana.",
                  "Referida a la psicóloga del centro de salud; cita en 48 horas.")


def _people(org: Organisation) -> dict[str, User]:
    return {u.username: u for u in db.session.scalars(sa.select(User).where(User.organisation_id == org.id))}


def _clinical_lead(org: Organisation, password_hash: str, site_id: int) -> User:
    username, name = CLINICAL_LEAD
    lead = db.session.scalar(sa.select(User).where(User.username == username))
    if lead is None:
        lead = User(organisation_id=org.id, username=username, full_name=name, password_hash=password_hash,
                    preferred_language="es", site_id=site_id)
        db.session.add(lead)
        db.session.flush()
    if db.session.scalar(sa.select(RoleAssignment.id).where(RoleAssignment.user_id == lead.id,
                                                            RoleAssignment.role == Role.CLINICAL_LEAD)) is None:
        db.session.add(RoleAssignment(user_id=lead.id, organisation_id=org.id, role=Role.CLINICAL_LEAD))
        db.session.flush()
    return lead


def seed_supervision(org: Organisation, password_hash: str) -> None:
    from app.notifications.models import Notification
    from app.supervision import services
    from app.supervision.models import Intervention, Modality, RiskLevel, SessionFormat, SupervisionSession
    from app.supervision.queries import local_today, to_utc

    people = _people(org)
    supervisor = people.get("supervisor")
    if supervisor is None:
        return
    _clinical_lead(org, password_hash, supervisor.site_id or org.sites[0].id)
    if db.session.scalar(sa.select(SupervisionSession.id).where(SupervisionSession.supervisor_id == supervisor.id)
                         .limit(1)) is not None:
        return
    today = local_today()
    plans = [(days, users, topics, SessionFormat.GROUP) for days, users, topics in GROUPS]
    plans += [(days, [username], ["case_review", "self_care"], SessionFormat.INDIVIDUAL) for days, username in INDIVIDUAL]
    plans.sort(key=lambda plan: -plan[0])
    for number, (days, usernames, topics, kind) in enumerate(plans):
        attendees = [people[u] for u in usernames if u in people]
        started = to_utc(today - timedelta(days=days), time(10, 0) if kind == SessionFormat.GROUP else time(16, 30))
        cases = [services.CaseData(client_code=code.format(n=number), intervention=Intervention(intervention),
                                   summary=summary, risk_level=RiskLevel(risk), action_taken=done, referral=referral,
                                   session_number=1 + number % 5, supervisee_id=attendees[i % len(attendees)].id)
                 for i, (code, intervention, summary, risk, done, referral) in enumerate(CASES[:1 + number % 3])]
        if days == 10:
            code, intervention, summary, risk, done, referral = HIGH_RISK_CASE
            cases.append(services.CaseData(client_code=code, intervention=Intervention(intervention),
                                           summary=summary, risk_level=RiskLevel(risk), action_taken=done, referral=referral, session_number=3,
                                           supervisee_id=attendees[0].id))
        wellbeing = {p.id: (3 if (days, p.username) == (7, "ana.gomez") else 6 + (p.id + number) % 4, None)
                     for p in attendees}
        due = today - timedelta(days=days) + timedelta(days=7)
        actions = [services.ActionData("Practicar la respiración lenta con dos clientes esta semana",
                                       attendees[0].id, due)]
        if kind == SessionFormat.GROUP:
            actions.append(services.ActionData("Enviar la lista de referencias actualizada al grupo", supervisor.id,
                                               due + timedelta(days=3)))
        data = services.SessionData(
            supervisee_ids=[p.id for p in attendees], format=kind,
            modality=Modality.IN_PERSON if kind == SessionFormat.GROUP else Modality.PHONE, started_at=started,
            duration_minutes=90 if kind == SessionFormat.GROUP else 45, site_id=supervisor.site_id, topics=topics,
            notes="Revisamos casos y el autocuidado del equipo.", cases=cases, actions=actions, wellbeing=wellbeing)
        session = services.start_session(supervisor, data)
        services.submit_session(session, data, supervisor)
        session.submitted_at = started + timedelta(hours=3)
        if days > 7:  # older records are acknowledged and their action items mostly done
            for attendee in session.attendees:
                attendee.acknowledged_at = started + timedelta(days=1)
            for item in session.action_items:
                if days > 21 and not item.is_wellbeing_followup:
                    services.set_action_status(item, True, supervisor)
    db.session.flush()
    # The demo starts with the record requests of acknowledged sessions already read.
    acknowledged_read = utcnow() - timedelta(days=1)
    db.session.execute(sa.update(Notification).where(
        Notification.kind == "supervision.acknowledge", Notification.organisation_id == org.id,
        Notification.created_at < utcnow()).values(read_at=acknowledged_read)
        .execution_options(synchronize_session=False))
