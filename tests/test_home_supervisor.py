"""The supervisor's home page reads plain columns and one aggregate statement for its figures:
what it shows must still match the full supervisee overview."""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa


@pytest.fixture
def team(make_user, make_cohort, assign_supervisor, org):
    supervisor = make_user("supervisor", full_name="Julio Pérez Aguilar")
    trainees = [make_user("trainee", full_name=name) for name in ("Rosa Vázquez", "Juana Díaz", "Pedro Ramírez")]
    cohort = make_cohort(name="PM+ Sierra", members={"trainee": trainees, "supervisor": [supervisor]})
    for trainee in trainees:
        assign_supervisor(supervisor, trainee, cohort)
    return {"supervisor": supervisor, "trainees": trainees, "cohort": cohort, "org": org}


def _session(supervisor, people, started_at, cases=()):
    from app.supervision import services
    from app.supervision.models import Modality, SessionFormat

    data = services.SessionData(supervisee_ids=[p.id for p in people],
                                format=SessionFormat.INDIVIDUAL if len(people) == 1 else SessionFormat.GROUP,
                                modality=Modality.IN_PERSON, started_at=started_at, duration_minutes=60,
                                cases=list(cases))
    services.submit_session(services.start_session(supervisor, data), data, supervisor)


def _high_risk_case(supervisee):
    from app.supervision.models import RiskLevel
    from app.supervision.services import CaseData

    return CaseData(client_code="CH-014", risk_level=RiskLevel.HIGH, summary="Duerme mal.",
                    action_taken="Plan de seguridad revisado.", supervisee_id=supervisee.id)


@pytest.fixture
def supervised(app, team, db_session):
    """Rosa and Juana supervised yesterday; Pedro 40 days ago, with a high-risk case; assigned 60 days ago."""
    from app.orgs.models import SupervisorAssignment

    for row in db_session.scalars(sa.select(SupervisorAssignment)):
        row.created_at = datetime.now(timezone.utc) - timedelta(days=60)
    rosa, juana, pedro = team["trainees"]
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        _session(team["supervisor"], [rosa, juana], datetime.now(timezone.utc) - timedelta(days=1))
        _session(team["supervisor"], [pedro], datetime.now(timezone.utc) - timedelta(days=40),
                 cases=[_high_risk_case(pedro)])
    db_session.flush()
    return team


def test_home_figures_match_the_supervisee_overview(supervised, db_session):
    from app.supervision import queries

    supervisor = supervised["supervisor"]
    rows = queries.supervisee_overview(supervisor)
    expected = (len(rows), sum(1 for r in rows if r.overdue), sum(r.high_risk_cases for r in rows))
    assert expected == (3, 1, 1)
    assert queries.supervisor_figures(supervisor) == expected
    supervised["org"].supervision_overdue_days = 60
    db_session.flush()
    assert queries.supervisor_figures(supervisor) == (3, 0, 1)


def test_a_supervisor_without_supervisees_sees_zeros(make_user):
    from app.supervision import queries

    assert queries.supervisor_figures(make_user("supervisor")) == (0, 0, 0)


def test_home_page_shows_the_figures_the_table_and_the_cohorts(client, login, supervised):
    login(supervised["supervisor"])
    text = client.get("/").get_data(as_text=True)
    stats = _stats(text)
    assert stats["supervisees"] == 3 and stats["overdue for supervision"] == 1
    assert stats["high-risk cases, 90 days"] == 1
    rosa = supervised["trainees"][0]
    assert '<td>Rosa Vázquez</td>' in text and "<td>PM+ Sierra</td>" in text
    assert f"/competencies/assess/new?trainee_id={rosa.id}" in text
    cohort = supervised["cohort"]
    assert f'href="/cohorts/{cohort.id}">PM+ Sierra</a>' in text and f"/cohorts/{cohort.id}/days" in text


def test_a_deactivated_supervisee_leaves_the_home_table(client, login, supervised, db_session):
    pedro = supervised["trainees"][2]
    pedro.is_active_account = False
    db_session.flush()
    login(supervised["supervisor"])
    text = client.get("/").get_data(as_text=True)
    assert "<td>Pedro Ramírez</td>" not in text and "<td>Juana Díaz</td>" in text


def _stats(text: str) -> dict[str, int]:
    return {label.strip(): int(n) for n, label in re.findall(r"<li><strong>(\d+)</strong>([^<]+)</li>", text)}


def test_admin_home_counts_only_the_organisation(client, login, make_org, make_user, make_cohort, org, db_session):
    admin = make_user("admin")
    make_user("trainee"), make_user("trainee"), make_user(["supervisor", "trainee"])
    make_user("trainee", is_active_account=False)
    other = make_org("Otra organización")
    make_user("trainee", organisation=other), make_user("supervisor", organisation=other)
    make_cohort(), make_cohort(organisation=other)
    login(admin)
    text = client.get("/").get_data(as_text=True)
    assert f"Organisation: {org.name}" in text
    stats = _stats(text)
    assert (stats["trainees"], stats["supervisors"], stats["trainers"], stats["administrators"]) == (3, 1, 0, 1)
    assert stats["cohorts"] == 1 and stats["sites"] == 1
    assert "1 deactivated account." in text


def test_trainer_home_cards_count_members(client, login, make_user, make_cohort):
    trainer = make_user("trainer")
    trainees = [make_user("trainee") for _ in range(3)]
    make_cohort(name="PAP Costa", members={"trainer": [trainer], "trainee": trainees,
                                           "supervisor": [make_user("supervisor")]})
    make_cohort(name="Not mine", members={"trainee": trainees[:1]})
    login(trainer)
    text = client.get("/").get_data(as_text=True)
    assert "PAP Costa" in text and "Not mine" not in text
    assert "3 trainees · 1 supervisor" in text
