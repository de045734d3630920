"""Demo data: a living programme a newcomer sees after `make run`. Idempotent."""
from __future__ import annotations

from datetime import date, time

import click
import sqlalchemy as sa
from flask.cli import with_appcontext

from app.auth.models import User
from app.auth.passwords import hash_password
from app.extensions import db
from app.orgs.models import (
    Cohort,
    CohortMember,
    CohortRole,
    CohortStatus,
    Organisation,
    Role,
    RoleAssignment,
    Site,
    SupervisorAssignment,
)

DEMO_PASSWORD = "acompana-demo"
ORG_SLUG = "ces-demo"

STAFF = [
    # username, full name, roles, site index
    ("admin", "Lucía Méndez Ruiz", [Role.ADMIN], 0),
    ("trainer", "Carmen Gutiérrez Solís", [Role.TRAINER], 0),
    ("supervisor", "Julio Pérez Aguilar", [Role.SUPERVISOR], 0),
    ("trainee", "María López Hernández", [Role.TRAINEE], 0),
    ("manager", "Roberto Sánchez Ovando", [Role.PROGRAMME_MANAGER], 0),  # reads the organisation dashboard
]
TRAINEES = [
    ("rosa.vazquez", "Rosa Vázquez Gómez", 0),
    ("juana.diaz", "Juana Díaz Morales", 0),
    ("pedro.ramirez", "Pedro Ramírez Cruz", 0),
    ("elena.santiz", "Elena Sántiz López", 0),
    ("miguel.hernandez", "Miguel Hernández Pérez", 0),
    ("ana.gomez", "Ana Gómez Jiménez", 0),
    ("sofia.aguilar", "Sofía Aguilar Velasco", 1),
    ("carlos.mendez", "Carlos Méndez Trujillo", 1),
    ("guadalupe.ruiz", "Guadalupe Ruiz Ortiz", 1),
    ("teresa.moreno", "Teresa Moreno Castillo", 1),
    ("jose.lopez", "José López Domínguez", 1),
    ("patricia.cruz", "Patricia Cruz Espinosa", 1),
]
SITES = [
    ("Clínica Laguna del Cofre", "Sierra Madre de Chiapas"),
    ("Clínica Reforma", "Ángel Albino Corzo, Chiapas"),
]
COHORT = ("PM+ Sierra 2026", date(2026, 10, 5), date(2026, 12, 18))


def _get_or_create(model, defaults: dict | None = None, **keys):
    row = db.session.scalar(sa.select(model).filter_by(**keys))
    if row is None:
        row = model(**keys, **(defaults or {}))
        db.session.add(row)
        db.session.flush()
    return row


def seed_demo() -> dict[str, str]:
    """Create (or complete) the demo organisation. Returns the demo logins."""
    org = _get_or_create(Organisation, {"name": "Compañeros en Salud (demo)", "country": "MX"}, slug=ORG_SLUG)
    sites = [_get_or_create(Site, {"region": region}, organisation_id=org.id, name=name) for name, region in SITES]
    password_hash = hash_password(DEMO_PASSWORD)

    def person(username: str, full_name: str, roles: list[Role], site: Site) -> User:
        user = _get_or_create(
            User,
            {"full_name": full_name, "organisation_id": org.id, "site_id": site.id, "password_hash": password_hash,
             "preferred_language": "es"},
            username=username,
        )
        for role in roles:
            _get_or_create(RoleAssignment, user_id=user.id, organisation_id=org.id, role=role)
        return user

    staff = {username: person(username, name, roles, sites[site]) for username, name, roles, site in STAFF}
    learners = [staff["trainee"]] + [person(u, n, [Role.TRAINEE], sites[s]) for u, n, s in TRAINEES]

    name, starts, ends = COHORT
    cohort = _get_or_create(
        Cohort, {"site_id": sites[0].id, "starts_on": starts, "ends_on": ends, "status": CohortStatus.ACTIVE},
        organisation_id=org.id, name=name,
    )
    _get_or_create(CohortMember, cohort_id=cohort.id, user_id=staff["trainer"].id, role=CohortRole.TRAINER)
    _get_or_create(CohortMember, cohort_id=cohort.id, user_id=staff["supervisor"].id, role=CohortRole.SUPERVISOR)
    for learner in learners:
        _get_or_create(CohortMember, cohort_id=cohort.id, user_id=learner.id, role=CohortRole.TRAINEE)
        _get_or_create(SupervisorAssignment, {"organisation_id": org.id}, supervisor_id=staff["supervisor"].id,
                       trainee_id=learner.id, cohort_id=cohort.id)
    _give_demo_course(cohort, learners)
    _seed_training_days(cohort, staff["trainer"], learners)
    from app.demo.competencies import seed_competencies
    from app.training.queries import local_today

    seed_competencies(cohort, staff["trainer"], staff["supervisor"], learners, local_today())
    from app.demo.practice import seed_practice

    seed_practice(staff["supervisor"])
    from app.demo.quiz_reports import seed_quiz_results

    seed_quiz_results(cohort, learners[1:])  # the main trainee takes her own tests
    from app.demo.supervision import seed_supervision

    seed_supervision(org, password_hash)
    from app.demo.certificates import seed_certificates

    seed_certificates(org, staff["trainer"], staff["supervisor"])
    db.session.flush()
    return {username: DEMO_PASSWORD for username in staff}


DEMO_PROGRESS = [2, 0, 5, None]  # lessons done per trainee, in turn; None = all


def _give_demo_course(cohort: Cohort, learners: list[User]) -> None:
    """Once `flask content sync` has loaded PM+, give it to the cohort in Spanish with varied progress."""
    from app.courses.models import Course
    from app.courses.queries import visible_lessons
    from app.courses.services import give_course, mark_lesson_done

    course = db.session.scalar(sa.select(Course).where(Course.slug == "pm-plus"))
    if course is None or "es" not in course.languages:
        return
    give_course(cohort, course, "es")
    lessons = visible_lessons(course)
    for index, learner in enumerate(learners):
        done = DEMO_PROGRESS[index % len(DEMO_PROGRESS)]
        for lesson in lessons[:done]:
            mark_lesson_done(learner, lesson)


DEMO_DAYS = [
    # days from today, topic, place
    (-21, "Helping skills and role plays", "Clínica Laguna del Cofre"),
    (-14, "Managing Stress and Managing Problems", "Clínica Laguna del Cofre"),
    (-7, "Get Going Keep Doing and Social Support", "Clínica Reforma"),
    (7, "Staying Well, practicum planning", "Clínica Laguna del Cofre"),
]
DEMO_NOT_PRESENT = {
    # (day index, learner index): status and note; everyone else was present
    (0, 3): ("absent", None),
    (1, 5): ("excused", "Turno en la clínica"),
    (1, 8): ("absent", None),
    (2, 3): ("excused", "Enfermedad de un hijo"),
    (2, 11): ("absent", "Sin transporte"),
}


def _seed_training_days(cohort: Cohort, trainer: User, learners: list[User]) -> None:
    """Four face-to-face days (three held, one upcoming) with attendance taken on the held ones."""
    from datetime import timedelta

    from app.training.models import AttendanceStatus, TrainingDay
    from app.training.queries import local_today
    from app.training.services import DayData, Mark, create_training_day, record_attendance

    today = local_today()
    for index, (offset, topic, place) in enumerate(DEMO_DAYS):
        if db.session.scalar(sa.select(TrainingDay.id).where(TrainingDay.cohort_id == cohort.id,
                                                             TrainingDay.topic == topic)) is not None:
            continue
        held_on = today + timedelta(days=offset)
        day = create_training_day(cohort, DayData(held_on=held_on, place=place, topic=topic,
                                                  starts_at=time(9, 0), facilitator_id=trainer.id), trainer)
        if held_on <= today:
            marks = {}
            for number, learner in enumerate(learners):
                status, note = DEMO_NOT_PRESENT.get((index, number), ("present", None))
                marks[learner.id] = Mark(AttendanceStatus(status), note)
            record_attendance(day, marks, trainer, today=today)


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Create the demo organisation, people and cohort (safe to run again)."""
    logins = seed_demo()
    db.session.commit()
    click.echo("Demo data ready. Sign in with any of these (password: %s):" % DEMO_PASSWORD)
    for username in logins:
        click.echo(f"  {username}")
