"""The organisation dashboard's figures: sums over the precomputed facts (app/dashboards/facts.py).

Filters choose trainees and months. An enrolment row matches the site (the trainee's own site),
the course and the cohort directly; supervision, practice and skills rows match the site and
belong to trainees enrolled in the chosen course and cohort. Every figure is one aggregate
statement over an organisation's fact rows, so the page runs the same number of statements for a
clinic of ten and for a national programme.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from app.courses.models import CohortCourse, Course
from app.dashboards.models import (
    CompetencyFact,
    CompetencyStage,
    EnrolmentFact,
    PracticeFact,
    SupervisionFact,
)
from app.extensions import db
from app.orgs.models import Cohort, Site
from app.practice.models import Intervention

EXPIRING_DAYS = 60
LEVELS = (1, 2, 3, 4)


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Filters:
    organisation_id: int
    month_from: date  # first day of the first month
    month_to: date  # first day of the last month (included)
    site_id: int | None = None
    course_id: int | None = None
    cohort_id: int | None = None

    @property
    def months(self) -> list[date]:
        return month_range(self.month_from, self.month_to)

    @property
    def chooses_trainees(self) -> bool:
        return self.course_id is not None or self.cohort_id is not None


def default_period(today: date, months: int = 12) -> tuple[date, date]:
    """The last ``months`` months, this one included."""
    last = today.replace(day=1)
    return add_months(last, 1 - months), last


# -- what the filter form offers ------------------------------------------------------------------

@dataclass
class Options:
    sites: list[tuple[int, str]]
    courses: list[tuple[int, str]]
    cohorts: list[tuple[int, str]]


def options(organisation_id: int, language: str) -> Options:
    """The organisation's sites, the courses given to its cohorts, and its cohorts (three statements)."""
    sites = db.session.execute(sa.select(Site.id, Site.name).where(Site.organisation_id == organisation_id)
                               .order_by(Site.name)).all()
    courses = db.session.scalars(
        sa.select(Course).where(Course.id.in_(
            sa.select(CohortCourse.course_id).join(Cohort, Cohort.id == CohortCourse.cohort_id)
            .where(Cohort.organisation_id == organisation_id)))
        .order_by(Course.slug)).all()
    cohorts = db.session.execute(sa.select(Cohort.id, Cohort.name).where(Cohort.organisation_id == organisation_id)
                                 .order_by(Cohort.name)).all()
    course_names = sorted(((c.id, c.title_in(language) or c.slug) for c in courses), key=lambda pair: pair[1].lower())
    return Options(sites=[tuple(row) for row in sites], courses=course_names, cohorts=[tuple(row) for row in cohorts])


# -- the figures ----------------------------------------------------------------------------------

@dataclass
class Figures:
    filters: Filters
    enrolled: int = 0
    trained: int = 0
    certified: int = 0
    valid: int = 0
    expiring: int = 0
    trained_by_month: dict[date, int] = field(default_factory=dict)
    certified_by_month: dict[date, int] = field(default_factory=dict)
    levels: dict[CompetencyStage, list[int]] = field(default_factory=dict)  # item ratings at level 1..4
    assessed: dict[CompetencyStage, int] = field(default_factory=dict)  # trainees with a rating
    harmed: dict[CompetencyStage, int] = field(default_factory=dict)  # of them, with a level 1 rating
    minutes_by_month: dict[date, int] = field(default_factory=dict)
    supervisees_by_month: dict[date, int] = field(default_factory=dict)
    practice: dict[Intervention, tuple[int, int]] = field(default_factory=dict)  # (cases, sessions)
    cases_by_month: dict[date, int] = field(default_factory=dict)
    by_site: dict[int | None, tuple[int, int, int]] = field(default_factory=dict)  # trained, certified, valid

    @property
    def supervision_hours(self) -> float:
        return sum(self.minutes_by_month.values()) / 60

    @property
    def hours_per_supervisee(self) -> float | None:
        """Hours per supervisee per month over the period: all hours / all (supervisee, month) pairs."""
        pairs = sum(self.supervisees_by_month.values())
        return self.supervision_hours / pairs if pairs else None

    @property
    def practice_cases(self) -> int:
        return sum(cases for cases, _ in self.practice.values())

    def harmed_share(self, stage: CompetencyStage) -> float | None:
        assessed = self.assessed.get(stage, 0)
        return 100.0 * self.harmed.get(stage, 0) / assessed if assessed else None

    def level_share(self, stage: CompetencyStage, level: int) -> float | None:
        counts = self.levels.get(stage, [0, 0, 0, 0])
        total = sum(counts)
        return 100.0 * counts[level - 1] / total if total else None


def _chosen_trainees(filters: Filters):
    """Trainees enrolled in the chosen course and cohort (only used when one of them is chosen)."""
    query = sa.select(EnrolmentFact.trainee_id).where(EnrolmentFact.organisation_id == filters.organisation_id,
                                                      EnrolmentFact.enrolled_month.is_not(None))
    if filters.course_id is not None:
        query = query.where(EnrolmentFact.course_id == filters.course_id)
    if filters.cohort_id is not None:
        query = query.where(EnrolmentFact.cohort_id == filters.cohort_id)
    return query


def _people_filter(model, filters: Filters) -> list:
    """WHERE clauses for a per-trainee fact table: organisation, months, site and the chosen trainees."""
    clauses = [model.organisation_id == filters.organisation_id,
               model.month >= filters.month_from, model.month <= filters.month_to]
    if filters.site_id is not None:
        clauses.append(model.site_id == filters.site_id)
    if filters.chooses_trainees:
        clauses.append(model.trainee_id.in_(_chosen_trainees(filters)))
    return clauses


def _enrolment_filter(filters: Filters) -> list:
    clauses = [EnrolmentFact.organisation_id == filters.organisation_id]
    for column, value in ((EnrolmentFact.site_id, filters.site_id), (EnrolmentFact.course_id, filters.course_id),
                          (EnrolmentFact.cohort_id, filters.cohort_id)):
        if value is not None:
            clauses.append(column == value)
    return clauses


def _people(condition) -> sa.ColumnElement:
    return sa.func.count(sa.distinct(sa.case((condition, EnrolmentFact.trainee_id))))


def _in_period(column, filters: Filters):
    return sa.and_(column >= filters.month_from, column <= filters.month_to)


def compute(filters: Filters, now: datetime) -> Figures:
    """Every figure of the page for these filters: six aggregate statements."""
    figures = Figures(filters)
    valid_now = sa.and_(EnrolmentFact.is_certified.is_(True),
                        sa.or_(EnrolmentFact.valid_until.is_(None), EnrolmentFact.valid_until > now))
    expiring = sa.and_(EnrolmentFact.is_certified.is_(True), EnrolmentFact.valid_until > now,
                       EnrolmentFact.valid_until <= now + timedelta(days=EXPIRING_DAYS))
    row = db.session.execute(
        sa.select(_people(_in_period(EnrolmentFact.enrolled_month, filters)),
                  _people(_in_period(EnrolmentFact.trained_month, filters)),
                  _people(_in_period(EnrolmentFact.certified_month, filters)),
                  _people(valid_now), _people(expiring))
        .where(*_enrolment_filter(filters))).one()
    figures.enrolled, figures.trained, figures.certified, figures.valid, figures.expiring = (int(v or 0) for v in row)

    for site_id, trained, certified, valid in db.session.execute(
            sa.select(EnrolmentFact.site_id, _people(_in_period(EnrolmentFact.trained_month, filters)),
                      _people(_in_period(EnrolmentFact.certified_month, filters)), _people(valid_now))
            .where(*_enrolment_filter(filters)).group_by(EnrolmentFact.site_id)):
        figures.by_site[site_id] = (int(trained), int(certified), int(valid))

    def by_month(column, kind: str):
        return (sa.select(sa.literal(kind).label("kind"), column.label("month"),
                          sa.func.count(sa.distinct(EnrolmentFact.trainee_id)))
                .where(*_enrolment_filter(filters), _in_period(column, filters)).group_by(column))

    for kind, month, count in db.session.execute(sa.union_all(by_month(EnrolmentFact.trained_month, "trained"),
                                                               by_month(EnrolmentFact.certified_month, "certified"))):
        target = figures.trained_by_month if kind == "trained" else figures.certified_by_month
        target[_as_date(month)] = int(count)

    for stage, l1, l2, l3, l4, assessed, harmed in db.session.execute(
            sa.select(CompetencyFact.stage, sa.func.sum(CompetencyFact.level_1), sa.func.sum(CompetencyFact.level_2),
                      sa.func.sum(CompetencyFact.level_3), sa.func.sum(CompetencyFact.level_4),
                      sa.func.count(sa.distinct(CompetencyFact.trainee_id)),
                      sa.func.count(sa.distinct(sa.case((CompetencyFact.level_1 > 0, CompetencyFact.trainee_id)))))
            .where(*_people_filter(CompetencyFact, filters)).group_by(CompetencyFact.stage)):
        stage = CompetencyStage(stage)
        figures.levels[stage] = [int(l1 or 0), int(l2 or 0), int(l3 or 0), int(l4 or 0)]
        figures.assessed[stage], figures.harmed[stage] = int(assessed), int(harmed)

    for month, minutes, supervisees in db.session.execute(
            sa.select(SupervisionFact.month, sa.func.sum(SupervisionFact.minutes),
                      sa.func.count(sa.distinct(SupervisionFact.trainee_id)))
            .where(*_people_filter(SupervisionFact, filters)).group_by(SupervisionFact.month)):
        figures.minutes_by_month[_as_date(month)] = int(minutes or 0)
        figures.supervisees_by_month[_as_date(month)] = int(supervisees)

    for kind, key, cases, sessions in db.session.execute(sa.union_all(
            sa.select(sa.literal("intervention").label("kind"), sa.cast(PracticeFact.intervention, sa.String).label("key"),
                      sa.func.sum(PracticeFact.cases), sa.func.sum(PracticeFact.sessions))
            .where(*_people_filter(PracticeFact, filters)).group_by(PracticeFact.intervention),
            sa.select(sa.literal("month"), sa.cast(PracticeFact.month, sa.String), sa.func.sum(PracticeFact.cases),
                      sa.func.sum(PracticeFact.sessions))
            .where(*_people_filter(PracticeFact, filters)).group_by(PracticeFact.month))):
        if kind == "intervention":
            figures.practice[Intervention(key)] = (int(cases or 0), int(sessions or 0))
        else:
            figures.cases_by_month[_as_date(key)] = int(cases or 0)
    return figures


def _as_date(value: date | str) -> date:
    """SQLite hands back the month as text in a UNION; PostgreSQL as a date."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
