"""Two organisations with a record in every table a research export reads, and helpers to open the ZIP.

Names, usernames, emails, phones and free text are distinctive, so a test can scan the whole ZIP
for them; the second organisation's records must never appear in the first one's export.
"""
from __future__ import annotations

import base64
import csv
import hmac
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest

PSEUDONYM = re.compile(r"^P-[A-Z2-7]{16}$")
KEY = b"0123456789abcdef0123456789abcdef-shared-by-programmes"  # a key several programmes agreed on
SECRETS = ("Nota-secreta-supervision", "Resumen-secreto-del-caso", "Nota-secreta-de-practica",
           "Nota-secreta-de-valoracion", "Motivo-secreto-de-revocacion", "Llego-tarde-secreto")


@dataclass
class OrgWorld:
    organisation: object
    people: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)

    @property
    def user_ids(self) -> set[int]:
        return {person.id for person in self.people.values()}


def populate(organisation, tag: str, make_user, make_cohort, assign_supervisor, course) -> OrgWorld:
    """Everything a programme records, once, for one organisation."""
    from app.certificates.codes import new_code, new_token
    from app.certificates.models import Certificate, RevocationReason
    from app.core.db import utcnow
    from app.courses.models import Lesson, LessonProgress
    from app.courses.services import give_course
    from app.extensions import db
    from app.practice import services as practice
    from app.practice.models import DeliveryMode, Intervention, ReviewDecision
    from app.supervision import services as supervision
    from app.supervision.models import Modality, SessionFormat
    from app.training.models import Attendance, AttendanceStatus, TrainingDay
    from tests.competency_support import load_tool, make_assessment
    from tests.quiz_support import make_attempt, make_course, make_quiz

    site = organisation.sites[0]

    def person(role: str, first: str, **fields):
        return make_user(role, organisation=organisation, username=f"{first.lower()}.{tag}",
                         full_name=f"{first} Apellido{tag.capitalize()}", email=f"{first.lower()}.{tag}@example.org",
                         phone=f"+51 999 {abs(hash(first + tag)) % 1000000:06d}", site_id=site.id, **fields)

    world = OrgWorld(organisation)
    world.people = {"trainee": person("trainee", "Rosaura"), "trainee2": person("trainee", "Eleuterio"),
                    "supervisor": person("supervisor", "Filomena"), "trainer": person("trainer", "Teodosio"),
                    "admin": person("admin", "Casimira"), "manager": person("programme_manager", "Prudencio")}
    trainee, supervisor, trainer = world.people["trainee"], world.people["supervisor"], world.people["trainer"]
    cohort = make_cohort(organisation=organisation, site_id=site.id, name=f"Cohorte {tag}",
                         members={"trainee": [trainee, world.people["trainee2"]], "supervisor": [supervisor],
                                  "trainer": [trainer]})
    assign_supervisor(supervisor, trainee, cohort)
    give_course(cohort, course, "es")
    lesson = db.session.scalar(db.select(Lesson).where(Lesson.course_id == course.id).order_by(Lesson.id))
    db.session.add(LessonProgress(user_id=trainee.id, lesson_id=lesson.id))

    day = TrainingDay(cohort_id=cohort.id, held_on=date(2026, 3, 2), place="Clínica", topic="PM+",
                      facilitator_id=trainer.id, notes=SECRETS[5])
    db.session.add(day)
    db.session.flush()
    db.session.add(Attendance(training_day_id=day.id, trainee_id=trainee.id, status=AttendanceStatus.PRESENT,
                              note=SECRETS[5], recorded_by_id=trainer.id))

    quiz = make_quiz(make_course(cohort), f"pre-{tag}", "pre_test")
    attempt = make_attempt(quiz, trainee, cohort, {"Q1": 0, "Q2": False, "Q3": 5})

    tool = load_tool(organisation_id=organisation.id, items=2)
    codes = [item.code for item in tool.items]
    assessment = make_assessment(trainee, tool, assessor=supervisor, cohort=cohort,
                                 levels={codes[0]: 1, codes[1]: None}, notes={codes[0]: SECRETS[3]})
    draft = make_assessment(trainee, tool, assessor=supervisor, cohort=cohort, levels={codes[0]: 3},
                            status="draft")

    session_data = supervision.SessionData(
        supervisee_ids=[trainee.id], format=SessionFormat.INDIVIDUAL, modality=Modality.PHONE,
        started_at=utcnow() - timedelta(days=1), duration_minutes=45, notes=SECRETS[0], topics=["risk"],
        cases=[supervision.CaseData(client_code="CH-777", summary=SECRETS[1])])
    session = supervision.start_session(supervisor, session_data)
    supervision.submit_session(session, session_data, supervisor)

    entry = practice.save_entry(trainee, practice.EntryData(
        client_code="CH-0001", intervention=Intervention.PM_PLUS, session_number=1, delivered_on=date(2026, 3, 3),
        duration_minutes=60, mode=DeliveryMode.CLINIC, risk_flags=["none"], outcome_before=14, notes=SECRETS[2]),
        submit=True, today=date.today())
    practice.review_entry(entry, supervisor, ReviewDecision.VERIFIED, None)
    private = practice.save_entry(trainee, practice.EntryData(
        client_code="CH-0999", intervention=Intervention.PFA, notes=SECRETS[2]), submit=False, today=date.today())

    certificate = Certificate(organisation_id=organisation.id, course_id=course.id, trainee_id=trainee.id,
                              code=new_code(), token=new_token(), language="es", cohort_id=cohort.id,
                              snapshot={"name": trainee.full_name, "course_version": "1.2.3"})
    revoked = Certificate(organisation_id=organisation.id, course_id=course.id, trainee_id=world.people["trainee2"].id,
                          code=new_code(), token=new_token(), language="es", cohort_id=cohort.id,
                          snapshot={"name": world.people["trainee2"].full_name, "course_version": "1.2.3"},
                          revoked_at=utcnow(), revocation_reason=RevocationReason.CONDUCT, revocation_note=SECRETS[4])
    db.session.add_all([certificate, revoked])
    db.session.flush()
    world.ids = {"cohort": cohort.id, "day": day.id, "attempt": attempt.id, "assessment": assessment.id,
                 "draft_assessment": draft.id, "session": session.id, "entry": entry.id, "private_entry": private.id,
                 "certificate": certificate.id, "revoked": revoked.id, "codes": [certificate.code, revoked.code],
                 "tool": tool.slug, "items": codes, "course": course.slug, "quiz": quiz.slug}
    return world


@pytest.fixture
def research_world(org, make_org, make_user, make_cohort, assign_supervisor, content_path):
    """Organisation A (the `org` fixture) and B, each with one record of every kind."""
    from tests.courses_support import sync_fixture_pack

    course = sync_fixture_pack()
    first = populate(org, "uno", make_user, make_cohort, assign_supervisor, course)
    second = populate(make_org("Otra organización"), "dos", make_user, make_cohort, assign_supervisor, course)
    return first, second


def open_zip(data: bytes) -> dict[str, str]:
    """Every file of the ZIP as text (the CSVs' byte-order mark removed)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name).decode("utf-8").removeprefix("\ufeff") for name in archive.namelist()}


def rows(files: dict[str, str], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name], newline="")))


def header(files: dict[str, str], name: str) -> list[str]:
    return next(csv.reader(io.StringIO(files[name], newline="")))


def export_bytes(organisation, *, identified: bool = False, key: bytes | None = None):
    """The export written to memory, and its summary."""
    from app.research.export import write_export

    buffer = io.BytesIO()
    summary = write_export(buffer, organisation, identified=identified, key=key)
    return buffer.getvalue(), summary


def pseudonym_of(key: bytes, user_id: int, server: str | None = None) -> str:
    """The README's recipe, computed here on its own: on this test server unless another is named."""
    from flask import current_app

    server = server or current_app.config["BASE_URL"]
    digest = hmac.new(key, f"acompana-person-v2:{server}/users/{user_id}".encode(), "sha256").digest()
    return "P-" + base64.b32encode(digest).decode()[:16]
