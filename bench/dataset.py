"""The generated programmes: who is in them and what happened over two years, written row by row.

``Builder`` keeps a small picture of every cohort and learner in memory (dates, skill, progress)
so each later phase (quizzes, ratings, supervision, certificates) follows from the earlier ones:
post-test scores and competency levels rise after training, harmful behaviours fall, only those
who finished and show no open harm flag are certified.
"""
from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from bench import names_es as names
from bench.bulk_insert import BulkWriter

SCALE_ONE = {"organisations": 20, "sites": 200, "cohorts": 2000, "trainees": 50_000, "quiz_responses": 500_000,
             "assessments": 100_000, "supervision_sessions": 50_000, "certificates": 20_000}
DAYS = 730  # two years of history
COURSE_DAYS = {"pm-plus": 70, "pfa": 35}
INTERVENTION = {"pm-plus": "pm_plus", "pfa": "pfa"}


# -- what to build ------------------------------------------------------------------------------

@dataclass
class Plan:
    scale: float
    organisations: int
    sites: int
    cohorts: int
    trainees: int
    quiz_responses: int
    assessments: int
    supervision_sessions: int
    certificates: int

    @classmethod
    def at(cls, scale: float) -> Plan:
        """The issue's numbers times ``scale``; never fewer than two organisations of two sites with a cohort each."""
        n = {key: round(value * scale) for key, value in SCALE_ONE.items()}
        organisations = max(2, n["organisations"])
        sites = max(2 * organisations, n["sites"])
        cohorts = max(sites, n["cohorts"])
        return cls(scale=scale, organisations=organisations, sites=sites, cohorts=cohorts,
                   trainees=max(cohorts * 4, n["trainees"]), quiz_responses=n["quiz_responses"],
                   assessments=n["assessments"], supervision_sessions=max(cohorts, n["supervision_sessions"]),
                   certificates=n["certificates"])


@dataclass(slots=True)
class Learner:
    id: int
    org: int  # organisation id
    site: int
    cohort: Group
    supervisor: int = 0
    skill: float = 0.5  # chance of a right answer before training
    is_active: bool = True
    lessons_done: int = 0
    passed_post: bool = False
    open_flags: int = 0
    has_post: bool = False


@dataclass(slots=True)
class Group:
    """A cohort as the generator sees it."""

    id: int
    org: int
    site: int
    course: str  # course slug
    starts: date
    ends: date
    trainer: int
    learners: list[Learner] = field(default_factory=list)

    def progress(self, today: date) -> float:
        """How far through the course the cohort is today, 0 to 1."""
        span = (self.ends - self.starts).days or 1
        return min(1.0, max(0.0, (today - self.starts).days / span))


@dataclass
class Content:
    """What `content sync` loaded that the data refers to: lessons, quizzes, question snapshots, the tool."""

    courses: dict[str, Any]
    lessons: dict[str, list[int]]
    quizzes: dict[tuple[str, str], Any]  # (course slug, kind) -> Quiz
    questions: dict[tuple[str, str], list[dict]]  # (course slug, kind) -> the shown questions, with their answers
    tool: Any
    items: list[dict]
    scenarios: list[int]
    rules: dict[str, Any]




def split(total: int, parts: int, rng: random.Random | None = None, spread: float = 0.0) -> list[int]:
    """``total`` shared among ``parts`` (each at least 1 when total allows), varied by ±spread when rng is given."""
    if parts <= 0:
        return []
    weights = [1 + (rng.uniform(-spread, spread) if rng else 0) for _ in range(parts)]
    floor = 1 if total >= parts else 0
    rest = total - floor * parts
    shares = [w / sum(weights) * rest for w in weights]
    counts = [floor + int(s) for s in shares]
    for i in sorted(range(parts), key=lambda i: shares[i] - int(shares[i]), reverse=True)[: total - sum(counts)]:
        counts[i] += 1
    return counts


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """A moment of a day, in UTC (the programmes are in UTC-5 and UTC-6: 15:00 UTC is morning there)."""

    return datetime.combine(day, clock(hour, minute), tzinfo=UTC)


class Builder:
    """Writes the data set phase by phase; each phase reads what the earlier ones decided."""

    def __init__(self, writer: BulkWriter, content: Content, plan: Plan, rng: random.Random, now: datetime,
                 password_hash: str, tag: str = "") -> None:
        self.w, self.content, self.plan, self.rng, self.now = writer, content, plan, rng, now
        self.tag = tag  # added to known usernames and organisation slugs, so two data sets fit in one database
        self.today = now.date()
        self.password_hash = password_hash
        self.orgs: list[dict] = []
        self.sites: list[dict] = []
        self.groups: list[Group] = []
        self.learners: list[Learner] = []
        self.full_names: dict[int, str] = {}
        self.supervisees: dict[int, list[Learner]] = {}
        self.site_of: dict[int, int] = {}  # staff id -> site id
        self.known: dict[str, int] = {}  # role -> user id of the first organisation's known accounts
        self.usernames: dict[str, str] = {}  # role -> their username
        self.verified_cases: dict[int, int] = {}
        self.verify_token: str | None = None  # a valid certificate, of the first organisation when it has one

    # -- organisations, sites, people, cohorts ----------------------------------------------------

    def people(self) -> None:
        from app.orgs.models import Organisation, Site

        plan, rng, w = self.plan, self.rng, self.w
        sites_per_org = split(plan.sites, plan.organisations)
        cohorts_per_site = split(plan.cohorts, plan.sites)
        learners_per_cohort = split(plan.trainees, plan.cohorts, rng, spread=0.4)
        created = self.now - timedelta(days=DAYS + 60)
        site_index = cohort_index = 0
        for k in range(plan.organisations):
            name, country, regions = names.ORGANISATIONS[k % len(names.ORGANISATIONS)]
            if k >= len(names.ORGANISATIONS):
                name = f"{name} {k // len(names.ORGANISATIONS) + 1}"
            org = {"id": w.new_id(Organisation), "name": name, "index": k, "suffix": "" if k == 0 else f"-{k + 1:02d}"}
            w.add(Organisation, id=org["id"], slug=f"{names.ascii_slug(name)[:50]}-{k + 1}{self.tag}", name=name,
                  country=country, default_language="es", supervision_overdue_days=14, wellbeing_followup_score=4,
                  created_at=created, updated_at=created)
            self.orgs.append(org)
            self._staff(org, None, "admin")
            self._staff(org, None, "manager")
            self._staff(org, None, "clinical_lead")
            taken: set[str] = set()
            for _ in range(sites_per_org[k]):
                site_name = f"{rng.choice(names.SITE_KINDS)} {rng.choice(names.PLACES)}"
                while site_name in taken:
                    site_name = f"{rng.choice(names.SITE_KINDS)} {rng.choice(names.PLACES)} {len(taken) + 1}"
                taken.add(site_name)
                site = {"id": w.new_id(Site), "org": org, "name": site_name, "first": site_index == 0 or not
                        any(s["org"] is org for s in self.sites)}
                w.add(Site, id=site["id"], organisation_id=org["id"], name=site_name, region=rng.choice(regions),
                      is_active=True, created_at=created, updated_at=created)
                self.sites.append(site)
                sizes = learners_per_cohort[cohort_index: cohort_index + cohorts_per_site[site_index]]
                self._site_people(org, site, sizes)
                cohort_index += cohorts_per_site[site_index]
                site_index += 1

    def _user(self, org: dict, site_id: int | None, role: str, full_name: str, stem: str,
              known_as: str | None = None, created: datetime | None = None, active: bool = True,
              deactivated: datetime | None = None) -> int:
        """One person with one role; ``known_as`` (trainee, supervisor, ...) makes them a known account."""
        from app.auth.models import User
        from app.orgs.models import Role, RoleAssignment

        user_id = self.w.new_id(User)
        username = f"{known_as}{org['suffix']}{self.tag}" if known_as else f"{stem}.{user_id}"
        created = created or self.now - timedelta(days=DAYS + 30)
        phone = f"+52 96{self.rng.randint(10000000, 99999999)}" if self.rng.random() < 0.5 else None
        self.w.add(User, id=user_id, organisation_id=org["id"], site_id=site_id, username=username,
                   full_name=full_name, email=None, phone=phone, preferred_language="es",
                   password_hash=self.password_hash, is_active_account=active, deactivated_at=deactivated,
                   last_login_at=None, created_at=created, updated_at=created)
        self.w.add(RoleAssignment, id=self.w.new_id(RoleAssignment), user_id=user_id, organisation_id=org["id"],
                   role=Role(role), created_at=created)
        self.full_names[user_id] = full_name
        if known_as and org["index"] == 0:
            self.known[known_as], self.usernames[known_as] = user_id, username
        return user_id

    def _staff(self, org: dict, site_id: int | None, role: str, first: bool = True) -> int:
        """An organisation's or a site's staff member; the first of each kind is a known account."""
        full_name, stem = names.person_name(self.rng)
        short = {"programme_manager": "manager", "clinical_lead": "lead"}.get(role, role)
        if role == "manager":
            role, short = "programme_manager", "manager"
        user_id = self._user(org, site_id, role, full_name, stem, short if first else None)
        if site_id:
            self.site_of[user_id] = site_id
        return user_id

    def _site_people(self, org: dict, site: dict, cohort_sizes: list[int]) -> None:
        from app.orgs.models import (
            Cohort,
            CohortMember,
            CohortRole,
            CohortStatus,
            SupervisorAssignment,
        )

        rng, w, today = self.rng, self.w, self.today
        first_site = site["first"]
        trainers = [self._staff(org, site["id"], "trainer", first_site and i == 0)
                    for i in range(max(1, math.ceil(len(cohort_sizes) / 3)))]
        supervisors = [self._staff(org, site["id"], "supervisor", first_site and i == 0)
                       for i in range(max(1, math.ceil(sum(cohort_sizes) / 20)))]
        local = 0  # the trainee's place in the site: who supervises them
        for n, size in enumerate(cohort_sizes):
            known_cohort = first_site and n == 0
            course = "pm-plus" if known_cohort or rng.random() < 0.65 else "pfa"
            if known_cohort and org["index"] == 0:
                starts = today - timedelta(days=21)  # running now: the known trainee is a few lessons in
            elif known_cohort:  # every data set, however small, has graduates
                starts = today - timedelta(days=300 + 7 * org["index"])
            else:
                starts = today - timedelta(days=rng.randint(-30, DAYS - COURSE_DAYS[course]))
            ends = starts + timedelta(days=COURSE_DAYS[course])
            status = (CohortStatus.PLANNED if starts > today else CohortStatus.ACTIVE if ends >= today
                      else CohortStatus.ARCHIVED if (today - ends).days > 400 and rng.random() < 0.3
                      else CohortStatus.COMPLETED)
            group = Group(id=w.new_id(Cohort), org=org["id"], site=site["id"], course=course, starts=starts,
                          ends=ends, trainer=trainers[n % len(trainers)])
            label = "PM+" if course == "pm-plus" else "PAP"
            stamp = at(starts - timedelta(days=20), 15)
            w.add(Cohort, id=group.id, organisation_id=org["id"], site_id=site["id"],
                  name=f"{label} {site['name']} {starts:%Y-%m} ({n + 1})", starts_on=starts, ends_on=ends,
                  status=status, created_at=stamp, updated_at=stamp)
            w.add(CohortMember, id=w.new_id(CohortMember), cohort_id=group.id, user_id=group.trainer,
                  role=CohortRole.TRAINER, joined_at=stamp)
            cohort_supervisors: set[int] = set()
            for i in range(size):
                supervisor = supervisors[local % len(supervisors)]
                local += 1
                known = known_cohort and i == 0
                full_name, stem = names.person_name(rng)
                dropped = not known and starts < today and rng.random() < 0.03
                left = at(starts + timedelta(days=rng.randint(3, max(4, min((today - starts).days,
                                                                             COURSE_DAYS[course])))), 18) if dropped else None
                learner_id = self._user(org, site["id"], "trainee", full_name, stem,
                                        known_as="trainee" if known else None,
                                        created=at(starts - timedelta(days=rng.randint(7, 30)), 16),
                                        active=not dropped, deactivated=left)
                learner = Learner(id=learner_id, org=org["id"], site=site["id"], cohort=group, supervisor=supervisor,
                                  skill=min(0.85, max(0.2, rng.gauss(0.52, 0.12))), is_active=not dropped)
                group.learners.append(learner)
                self.learners.append(learner)
                self.supervisees.setdefault(supervisor, []).append(learner)
                cohort_supervisors.add(supervisor)
                w.add(CohortMember, id=w.new_id(CohortMember), cohort_id=group.id, user_id=learner_id,
                      role=CohortRole.TRAINEE, joined_at=stamp)
                w.add(SupervisorAssignment, id=w.new_id(SupervisorAssignment), organisation_id=org["id"],
                      supervisor_id=supervisor, trainee_id=learner_id, cohort_id=group.id, created_at=at(starts, 14),
                      ended_at=left)
            for supervisor in sorted(cohort_supervisors):
                w.add(CohortMember, id=w.new_id(CohortMember), cohort_id=group.id, user_id=supervisor,
                      role=CohortRole.SUPERVISOR, joined_at=stamp)
            self.groups.append(group)

    # -- lessons and training days -------------------------------------------------------------------

    def learning(self) -> None:
        from app.courses.models import CohortCourse, LessonProgress
        from app.training.models import Attendance, AttendanceStatus, TrainingDay

        rng, w, today = self.rng, self.w, self.today
        for group in self.groups:
            w.add(CohortCourse, id=w.new_id(CohortCourse), cohort_id=group.id,
                  course_id=self.content.courses[group.course].id, language="es",
                  created_at=at(group.starts - timedelta(days=14), 15))
            lessons = self.content.lessons[group.course]
            progress = group.progress(today)
            span = (group.ends - group.starts).days
            for learner in group.learners:
                if progress <= 0:
                    continue
                if not learner.is_active:
                    done = rng.randint(0, len(lessons) // 2)
                elif progress >= 1:
                    done = len(lessons) if rng.random() < 0.88 else rng.randint(len(lessons) // 2, len(lessons) - 1)
                else:
                    done = min(len(lessons), round(len(lessons) * progress * rng.uniform(0.7, 1.3)))
                learner.lessons_done = done
                for position, lesson_id in enumerate(lessons[:done]):
                    day = group.starts + timedelta(days=round((position + 1) / len(lessons) * span * rng.uniform(0.6, 1.0)))
                    finished = min(at(day, rng.randint(13, 23), rng.randint(0, 59)), self.now - timedelta(hours=1))
                    w.add(LessonProgress, id=w.new_id(LessonProgress), user_id=learner.id, lesson_id=lesson_id,
                          completed_at=finished)
            topics = names.TRAINING_TOPICS[group.course]
            site_name = next(s["name"] for s in self.sites if s["id"] == group.site) if group.learners else ""
            for n, topic in enumerate(topics):
                held_on = group.starts + timedelta(days=round(n * span / (len(topics) - 1)))
                day_id = w.new_id(TrainingDay)
                stamp = at(group.starts - timedelta(days=10), 15)
                w.add(TrainingDay, id=day_id, cohort_id=group.id, held_on=held_on, starts_at=clock(9, 0),
                      place=site_name, topic=topic, facilitator_id=group.trainer, facilitator_name=None, notes=None,
                      created_at=stamp, updated_at=stamp)
                if held_on > today:
                    continue
                for learner in group.learners:
                    r = rng.random()
                    gone = not learner.is_active and rng.random() < 0.7
                    status = (AttendanceStatus.ABSENT if gone or r < 0.08 else
                              AttendanceStatus.EXCUSED if r < 0.12 else AttendanceStatus.PRESENT)
                    w.add(Attendance, id=w.new_id(Attendance), training_day_id=day_id, trainee_id=learner.id,
                          status=status, note="Turno en la clínica" if status is AttendanceStatus.EXCUSED else None,
                          recorded_by_id=group.trainer, recorded_at=at(held_on, 21))

    # -- quiz attempts ---------------------------------------------------------------------------------

    def quizzes(self) -> None:
        """Pre-tests when a cohort starts, post-tests (up to three tries) when it ends, for the share of
        learners needed to reach the planned number of responses; the rest took them on paper."""
        rng, today = self.rng, self.today
        known_trainee = self.known.get("trainee")
        takers = []
        for learner in self.learners:
            group = learner.cohort
            progress = group.progress(today)
            if progress > 0.02 and learner.id != known_trainee:
                takers.append((learner, progress >= 0.9 and learner.is_active))
        share = min(1.0, self.plan.quiz_responses / self._expected_responses(takers)) if takers else 0.0
        for learner, takes_post in takers:
            gain = max(0.1, rng.gauss(0.3, 0.08))
            learner.passed_post = takes_post and rng.random() < min(0.95, learner.skill + gain + 0.1)
            if rng.random() >= share:
                continue  # tests on paper
            group = learner.cohort
            self._attempt(learner, "pre_test", 1, at(group.starts + timedelta(days=rng.randint(0, 3)), 15), learner.skill)
            if not takes_post:
                continue
            learner.passed_post = False
            for number in (1, 2, 3):
                when = at(group.ends - timedelta(days=rng.randint(1, 6)) + timedelta(days=2 * (number - 1)), 16)
                percent = self._attempt(learner, "post_test", number, min(when, self.now - timedelta(hours=2)),
                                        min(0.98, learner.skill + gain + 0.07 * (number - 1)))
                if percent >= 80:
                    learner.passed_post = True
                    break

    def _expected_responses(self, takers: list[tuple[Learner, bool]]) -> float:
        """Responses if every taker took the tests in the app, estimated by simulating a sample of them."""
        sim = random.Random(len(takers))
        sample = sim.sample(takers, min(len(takers), 3000))
        total = 0
        for learner, takes_post in sample:
            course = learner.cohort.course
            total += len(self.content.questions[(course, "pre_test")])
            if takes_post:
                questions = self.content.questions[(course, "post_test")]
                marks = sum(q["mark"] for q in questions) or 1
                gain = max(0.1, sim.gauss(0.3, 0.08))
                for number in (1, 2, 3):
                    total += len(questions)
                    chance = min(0.98, learner.skill + gain + 0.07 * (number - 1))
                    score = sum(q["orders"][0][1][sim.random() < chance][1] * q["mark"] for q in questions)
                    if score >= Decimal("0.8") * marks:
                        break
        return total / len(sample) * len(takers)

    def _attempt(self, learner: Learner, kind: str, number: int, started: datetime, right_chance: float) -> Decimal:
        from app.quizzes.models import AttemptQuestion, AttemptStatus, QuizAttempt

        rng, w = self.rng, self.w
        course = learner.cohort.course
        questions = self.content.questions[(course, kind)]
        attempt_id = w.new_id(QuizAttempt)
        score = maximum = Decimal(0)
        rows = []
        for position, question in enumerate(questions):
            snapshot, outcomes = rng.choice(question["orders"])
            response, fraction, feedback = outcomes[rng.random() < right_chance]
            score += fraction * question["mark"]
            maximum += question["mark"]
            rows.append({"id": w.new_id(AttemptQuestion), "attempt_id": attempt_id, "position": position,
                         "question_version_id": question["version_id"], "question_key": question["key"],
                         "qtype": question["qtype"], "snapshot": snapshot, "mark": question["mark"],
                         "response": response, "answered_at": started + timedelta(seconds=45 * (position + 1)),
                         "fraction": fraction, "feedback": feedback, "graded_by_id": None, "grader_comment": None})
        submitted = started + timedelta(seconds=45 * len(questions) + 60)
        score = max(score, Decimal(0)).quantize(Decimal("0.0001"))
        percent = (score / maximum * 100).quantize(Decimal("0.0001")) if maximum else Decimal(100)
        w.add(QuizAttempt, id=attempt_id, quiz_id=self.content.quizzes[(course, kind)].id, user_id=learner.id,
              cohort_id=learner.cohort.id, number=number, language="es", status=AttemptStatus.FINISHED,
              started_at=started, deadline_at=None, submitted_at=submitted, graded_at=submitted,
              current_page=max(0, len(questions) - 1), score=score, max_score=maximum, percent=percent)
        for row in rows:
            w.add(AttemptQuestion, **row)
        return percent

    # -- competency ratings and harm flags ---------------------------------------------------------------

    def competencies(self) -> None:
        """Role plays before (pre) and after (post) training, rated on the 15 foundational skills; supervision
        rounds later fill up to the planned number of assessments."""
        from app.competencies.models import AssessmentStage

        rng, today = self.rng, self.today
        self.flagged = self._flagged()
        rounds: list[tuple[Learner, AssessmentStage, date]] = []
        for learner in self.learners:
            group = learner.cohort
            progress = group.progress(today)
            if progress >= 0.1:
                rounds.append((learner, AssessmentStage.PRE, group.starts + timedelta(days=rng.randint(5, 9))))
            if progress >= 0.95 and learner.is_active:
                rounds.append((learner, AssessmentStage.POST, min(today, group.ends - timedelta(days=rng.randint(0, 4)))))
        target = self.plan.assessments
        if len(rounds) > target:
            keep = [n for n, (learner, stage, _) in enumerate(rounds)
                    if learner is self.flagged and stage is AssessmentStage.PRE]
            chosen = set(rng.sample(range(len(rounds)), target))
            if keep and keep[0] not in chosen:
                chosen.remove(next(iter(chosen)))
                chosen.add(keep[0])
            rounds = [rounds[i] for i in sorted(chosen)]
        finished = [l for l in self.learners if l.is_active and l.cohort.ends < today - timedelta(days=30)]
        while finished and len(rounds) < target:
            learner = rng.choice(finished)
            later = rng.randint(30, max(31, (today - learner.cohort.ends).days))
            rounds.append((learner, AssessmentStage.SUPERVISION, learner.cohort.ends + timedelta(days=later)))
        by_learner: dict[int, list[tuple[Learner, AssessmentStage, date]]] = {}
        for entry in rounds:
            by_learner.setdefault(entry[0].id, []).append(entry)
        for entries in by_learner.values():
            entries.sort(key=lambda entry: entry[2])
            self._rate_learner(entries)

    def _flagged(self) -> Learner | None:
        """A supervisee of the known supervisor in the known cohort with harm seen at the pre round (so every
        data set, however small, shows the known accounts an open harm flag)."""
        supervisor, trainee = self.known.get("supervisor"), self.known.get("trainee")
        mine = [l for l in self.supervisees.get(supervisor, []) if l.is_active and l.cohort.progress(self.today) >= 0.1]
        return next((l for l in mine if l.id != trainee), mine[0] if mine else None)

    def _level(self, learner: Learner, stage) -> int | None:
        from app.competencies.models import AssessmentStage

        rng = self.rng
        r = rng.random()
        before = stage is AssessmentStage.PRE
        if r < (0.018 if before else 0.004):
            return 1
        if r < (0.048 if before else 0.034):
            return None
        q = rng.random()
        if before:
            return 4 if q < 0.03 else 3 if q < 0.03 + learner.skill * 0.6 else 2
        return 4 if q > 0.8 - 0.1 * learner.skill else 2 if q < 0.25 - 0.15 * learner.skill else 3

    def _ticks(self, item: dict, level: int | None) -> list[str]:
        basic = item["basic"]
        if level is None:
            return []
        if level == 1:
            return item["harmful"][:1] + basic[: self.rng.randint(0, len(basic))]
        if level == 2:
            return basic[: self.rng.randint(1, len(basic) - 1)] if len(basic) > 1 else []
        if level == 3:
            return list(basic)
        return list(basic) + item["advanced"][:1]

    def _rate_learner(self, entries: list) -> None:
        from app.competencies.models import (
            Assessment,
            AssessmentMethod,
            AssessmentStage,
            AssessmentStatus,
            HarmFlag,
            HarmFlagStatus,
            ItemRating,
            RemediationAction,
        )

        rng, w, content = self.rng, self.w, self.content
        flags: dict[int, dict] = {}  # item id -> the flag open on it
        closed: list[dict] = []
        for learner, stage, observed_on in entries:
            group = learner.cohort
            assessor = group.trainer if stage is AssessmentStage.POST and rng.random() < 0.5 else learner.supervisor
            started = at(observed_on, 16, rng.randint(0, 59))
            submitted = started + timedelta(minutes=rng.randint(35, 60))
            assessment_id = w.new_id(Assessment)
            levels = [self._level(learner, stage) for _ in content.items]
            if learner is self.flagged and stage is AssessmentStage.PRE:
                levels[0] = 1
            w.add(Assessment, id=assessment_id, organisation_id=learner.org, trainee_id=learner.id,
                  assessor_id=assessor, tool_id=content.tool.id, tool_version=content.tool.version,
                  cohort_id=group.id, stage=stage, method=AssessmentMethod.ROLE_PLAY,
                  scenario_id=rng.choice(content.scenarios) if content.scenarios else None, rating_session_id=None,
                  status=AssessmentStatus.SUBMITTED, observed_on=observed_on, overall_note=None, started_at=started,
                  saved_at=submitted - timedelta(minutes=2), submitted_at=submitted, amends_id=None,
                  amendment_reason=None, superseded_at=None, has_harm=1 in levels)
            for item, level in zip(content.items, levels):
                ticks = self._ticks(item, level)
                w.add(ItemRating, id=w.new_id(ItemRating), assessment_id=assessment_id, item_id=item["id"],
                      behaviour_codes=ticks, not_observed=level is None, level=level, note=None)
                if level == 1 and item["id"] not in flags:
                    flags[item["id"]] = {"item": item["id"], "raised_by": assessment_id, "raised_at": submitted,
                                         "codes": item["harmful"][:1], "owner": learner.supervisor}
                elif level is not None and level > 1 and item["id"] in flags:
                    flag = flags.pop(item["id"])
                    flag.update(cleared_by=assessment_id, cleared_at=submitted)
                    closed.append(flag)
            if stage is AssessmentStage.POST:
                learner.has_post = True
        learner = entries[0][0]
        learner.open_flags = len(flags)
        for flag in [*closed, *flags.values()]:
            flag_id = w.new_id(HarmFlag)
            cleared = flag.get("cleared_at")
            w.add(HarmFlag, id=flag_id, organisation_id=learner.org, trainee_id=learner.id, item_id=flag["item"],
                  status=HarmFlagStatus.CLEARED if cleared else HarmFlagStatus.OPEN, raised_by_id=flag["raised_by"],
                  raised_at=flag["raised_at"], cleared_by_id=flag.get("cleared_by"), cleared_at=cleared,
                  behaviour_codes=flag["codes"])
            w.add(RemediationAction, id=w.new_id(RemediationAction), flag_id=flag_id,
                  description="Practicar la habilidad en juegos de roles con el supervisor y revisar el material.",
                  owner_id=flag["owner"], due_on=(flag["raised_at"] + timedelta(days=7)).date(),
                  done_at=cleared - timedelta(days=1) if cleared else None, created_by_id=flag["owner"],
                  created_at=flag["raised_at"])

    # -- supervision -------------------------------------------------------------------------------------

    def supervision(self) -> None:
        """Group and individual sessions since each supervisee's training began, shared out by caseload."""
        supervisors = sorted(self.supervisees)
        weights = [len(self.supervisees[s]) for s in supervisors]
        total = sum(weights)
        counts = [self.plan.supervision_sessions * n // total for n in weights]
        for i in self.rng.sample(range(len(supervisors)), self.plan.supervision_sessions - sum(counts)):
            counts[i] += 1
        for supervisor, count in zip(supervisors, counts):
            self._sessions(supervisor, count)

    def _sessions(self, supervisor: int, count: int) -> None:
        from app.supervision.models import (
            ActionItem,
            ActionStatus,
            Modality,
            RiskLevel,
            SessionAttendee,
            SessionFormat,
            SessionStatus,
            SupervisionCase,
            SupervisionSession,
            Topic,
        )

        rng, w, today = self.rng, self.w, self.today
        people = [l for l in self.supervisees[supervisor] if l.cohort.starts <= today]
        if not people:
            return
        earliest = max(min(l.cohort.starts for l in people), today - timedelta(days=DAYS))
        span = (today - earliest).days
        org = people[0].org
        for _ in range(count):
            day = earliest + timedelta(days=rng.randint(0, span))
            eligible = [l for l in people if l.cohort.starts <= day] or people[:1]
            group = len(eligible) >= 3 and rng.random() < 0.6
            attendees = rng.sample(eligible, min(len(eligible), rng.randint(3, 6))) if group else [rng.choice(eligible)]
            started = at(day, 16 if group else 21, 30 if not group else 0)
            draft = (today - day).days <= 3 and rng.random() < 0.3
            session_id = w.new_id(SupervisionSession)
            cohorts = {l.cohort.id for l in attendees}
            w.add(SupervisionSession, id=session_id, organisation_id=org, supervisor_id=supervisor,
                  site_id=self.site_of.get(supervisor), cohort_id=cohorts.pop() if len(cohorts) == 1 else None,
                  format=SessionFormat.GROUP if group else SessionFormat.INDIVIDUAL,
                  modality=Modality.IN_PERSON if group or rng.random() < 0.3 else
                  Modality.PHONE if rng.random() < 0.75 else Modality.VIDEO,
                  started_at=started, duration_minutes=rng.choice((60, 90, 90, 120)) if group else rng.choice((30, 45, 60)),
                  topics=[t.value for t in rng.sample(list(Topic), rng.randint(1, 2))],
                  notes=rng.choice(names.SESSION_NOTES), assessment_id=None,
                  status=SessionStatus.DRAFT if draft else SessionStatus.SUBMITTED,
                  draft_saved_at=started + timedelta(hours=1), submitted_at=None if draft else started + timedelta(hours=3),
                  created_at=started, updated_at=started + timedelta(hours=3))
            old = (today - day).days > 7
            low = []
            for learner in attendees:
                score = rng.randint(2, 4) if rng.random() < 0.08 else rng.randint(5, 10)
                if score <= 4:
                    low.append(learner)
                w.add(SessionAttendee, id=w.new_id(SessionAttendee), session_id=session_id, supervisee_id=learner.id,
                      wellbeing_score=score, wellbeing_note=None,
                      acknowledged_at=started + timedelta(days=rng.randint(1, 3)) if old and not draft and rng.random() < 0.9 else None)
            for position in range(rng.choice((0, 1, 1, 1, 2))):
                learner = rng.choice(attendees)
                r = rng.random()
                risk = (RiskLevel.NONE if r < 0.55 else RiskLevel.LOW if r < 0.8 else RiskLevel.MODERATE if r < 0.95
                        else RiskLevel.HIGH if r < 0.99 else RiskLevel.IMMINENT)
                high = risk in (RiskLevel.HIGH, RiskLevel.IMMINENT)
                w.add(SupervisionCase, id=w.new_id(SupervisionCase), session_id=session_id, supervisee_id=learner.id,
                      position=position, client_code=f"CH-{rng.randint(1000, 9999)}",
                      intervention=INTERVENTION[learner.cohort.course], session_number=rng.randint(1, 5),
                      summary=rng.choice(names.CASE_SUMMARIES), risk_level=risk,
                      action_taken="Plan de seguridad en la sesión y seguimiento en 48 horas." if high else
                      "Repasamos la estrategia y el plan de la semana.",
                      referral="Referida a la psicóloga del centro de salud." if high else None,
                      risk_alerted_at=started + timedelta(hours=3) if high and not draft else None)
            if draft:
                continue
            due = day + timedelta(days=7)
            actions = [(attendees[0].id, None, rng.choice(names.ACTION_TEXTS), False)]
            actions += [(supervisor, learner.id, "Llamar para saber cómo sigue y ofrecer apoyo.", True) for learner in low]
            for owner, about, text, followup in actions:
                done = due < today - timedelta(days=7) and rng.random() < 0.9
                w.add(ActionItem, id=w.new_id(ActionItem), organisation_id=org, session_id=session_id, owner_id=owner,
                      about_id=about, description=text, due_on=due,
                      status=ActionStatus.DONE if done else ActionStatus.OPEN, is_wellbeing_followup=followup,
                      created_at=started + timedelta(hours=3),
                      done_at=at(due - timedelta(days=rng.randint(0, 5)), 20) if done else None,
                      done_by_id=owner if done else None)

    # -- supervised practice -------------------------------------------------------------------------------

    def practice(self) -> None:
        """After training most helpers deliver sessions to real clients (by code) and their supervisor verifies them."""
        from app.practice.models import (
            DeliveryMode,
            EntryStatus,
            PracticeCase,
            PracticeEntry,
            PracticeReview,
            ReviewDecision,
        )

        rng, w, today = self.rng, self.w, self.today
        for learner in self.learners:
            group = learner.cohort
            if not learner.is_active or group.progress(today) < 0.9 or rng.random() > 0.6:
                continue
            course = group.course
            used: set[str] = set()
            for _ in range(rng.randint(1, 2)):
                code = f"CH-{rng.randint(1000, 9999)}"
                if code in used:
                    continue
                used.add(code)
                first = group.ends - timedelta(days=20) + timedelta(days=rng.randint(0, 60))
                if first > today:
                    continue
                case_id = w.new_id(PracticeCase)
                stamp = at(first, 22)
                w.add(PracticeCase, id=case_id, organisation_id=learner.org, trainee_id=learner.id, client_code=code,
                      intervention=INTERVENTION[course], intervention_other=None, created_at=stamp, updated_at=stamp)
                sessions = 5 if course == "pm-plus" else 1
                before = rng.randint(12, 18)
                verified = 0
                for number in range(1, sessions + 1):
                    delivered = first + timedelta(days=7 * (number - 1))
                    if delivered > today:
                        break
                    age = (today - delivered).days
                    r = rng.random()
                    status = ((EntryStatus.VERIFIED if r < 0.95 else EntryStatus.RETURNED) if age > 21 else
                              EntryStatus.SUBMITTED if r < 0.6 else EntryStatus.DRAFT if r < 0.8 else EntryStatus.VERIFIED)
                    risky = rng.random() < 0.03
                    submitted = None if status is EntryStatus.DRAFT else at(delivered, 23)
                    reviewed = at(delivered + timedelta(days=rng.randint(2, 10)), 17) if status in (
                        EntryStatus.VERIFIED, EntryStatus.RETURNED) else None
                    entry_id = w.new_id(PracticeEntry)
                    verified += status is EntryStatus.VERIFIED
                    comment = "Anota la duración real de la visita." if status is EntryStatus.RETURNED else None
                    w.add(PracticeEntry, id=entry_id, organisation_id=learner.org, trainee_id=learner.id, case_id=case_id,
                          status=status, session_number=number, delivered_on=delivered,
                          duration_minutes=90 if number == 1 else 60,
                          mode=rng.choice((DeliveryMode.HOME_VISIT, DeliveryMode.HOME_VISIT, DeliveryMode.CLINIC,
                                           DeliveryMode.PHONE)),
                          risk_flags=["suicidal_thoughts"] if risky else [], has_risk_flag=risky,
                          risk_action="Plan de seguridad con la persona; avisé a mi supervisor el mismo día."
                          if risky else None,
                          outcome_before=before if number == 1 else None,
                          outcome_after=max(0, before - rng.randint(3, 9)) if number == sessions and sessions > 1 else None,
                          custom_measure_name=None, custom_measure_value=None, notes=None, submitted_at=submitted,
                          reviewed_at=reviewed, reviewed_by_id=learner.supervisor if reviewed else None,
                          review_comment=comment, created_at=at(delivered, 22), updated_at=reviewed or at(delivered, 23))
                    if reviewed:
                        w.add(PracticeReview, id=w.new_id(PracticeReview), entry_id=entry_id,
                              reviewer_id=learner.supervisor,
                              decision=ReviewDecision.VERIFIED if status is EntryStatus.VERIFIED else ReviewDecision.RETURNED,
                              comment=comment, created_at=reviewed)
                if verified == sessions:
                    self.verified_cases[learner.id] = self.verified_cases.get(learner.id, 0) + 1

    # -- certificates ------------------------------------------------------------------------------------

    def certificates(self) -> None:
        """Certificates for those who finished: valid, expired (some organisations renew PFA yearly) or revoked."""
        from app.certificates.codes import (
            ALPHABET,
            PREFIX,
            RANDOM_CHARS,
            check_character,
        )
        from app.certificates.models import (
            Certificate,
            CertificationRule,
            RevocationReason,
        )

        rng, w, today, content = self.rng, self.w, self.today, self.content
        validity = {}
        for org in self.orgs:
            for slug, rule in content.rules.items():
                validity[(org["id"], slug)] = rule.validity_months
            if org["index"] % 4 == 1:  # these organisations renew PFA every year
                rule = content.rules["pfa"]
                stamp = self.now - timedelta(days=DAYS)
                w.add(CertificationRule, id=w.new_id(CertificationRule), course_id=rule.course_id,
                      organisation_id=org["id"], criteria=dict(rule.criteria), validity_months=12,
                      auto_issue=rule.auto_issue, template=rule.template, signatories=list(rule.signatories or []),
                      refresher=dict(rule.refresher or {}), updated_by_id=None, created_at=stamp, updated_at=stamp)
                validity[(org["id"], "pfa")] = 12
        finished = [l for l in self.learners if l.is_active and l.cohort.ends < today
                    and l.lessons_done == len(content.lessons[l.cohort.course]) and not l.open_flags]
        strict = [l for l in finished if l.has_post and l.passed_post]
        rest = [l for l in finished if not (l.has_post and l.passed_post)]
        chosen = strict[: self.plan.certificates]
        if len(chosen) < self.plan.certificates:
            chosen += rng.sample(rest, min(len(rest), self.plan.certificates - len(chosen)))
        org_names = {org["id"]: org["name"] for org in self.orgs}
        codes: set[str] = set()
        best = 3  # 0: valid, first organisation; 1: valid elsewhere; 2: any
        for learner in sorted(chosen, key=lambda l: l.id):
            group = learner.cohort
            course = content.courses[group.course]
            rule = content.rules[group.course]
            issued = min(at(group.ends + timedelta(days=rng.randint(3, 30)), 17), self.now - timedelta(days=1))
            months = validity[(learner.org, group.course)]
            full = ""
            while not full or full in codes:
                body = "".join(rng.choice(ALPHABET) for _ in range(RANDOM_CHARS))
                full = body + check_character(body)
            codes.add(full)
            revoked = issued + timedelta(days=rng.randint(10, 200)) if rng.random() < 0.015 else None
            if revoked and revoked >= self.now:
                revoked = None
            hours = f"{course.estimated_hours:g}" if course.estimated_hours else ""
            snapshot = {
                "name": self.full_names[learner.id], "course_slug": course.slug, "course_title": course.title_in("es"),
                "course_titles": dict(course.title), "course_version": course.version, "hours": hours,
                "organisation_name": org_names[learner.org], "signatories": list(rule.signatories or []),
                "issued_by": self.full_names[group.trainer], "validity_months": months, "recertification": False,
                "evidence": [{"key": key, "label": key, "evidence": "cumplido"} for key in rule.criteria],
            }
            token = f"{rng.getrandbits(192):048x}"
            valid_until = add_months(issued, months) if months else None
            rank = 2 if revoked or (valid_until and valid_until <= self.now) else 0 if learner.org == self.orgs[0]["id"] else 1
            if rank < best:
                best, self.verify_token = rank, token
            w.add(Certificate, id=w.new_id(Certificate), organisation_id=learner.org, course_id=course.id,
                  trainee_id=learner.id, cohort_id=group.id, code=f"{PREFIX}-{full[0:4]}-{full[4:8]}-{full[8:12]}",
                  token=token, language="es", issued_at=issued, issued_by_id=group.trainer,
                  valid_from=issued, valid_until=valid_until, snapshot=snapshot,
                  credential=None, pdf_path=None, pdf_sha256=None, previous_id=None, revoked_at=revoked,
                  revoked_by_id=group.trainer if revoked else None,
                  revocation_reason=rng.choice(list(RevocationReason)) if revoked else None,
                  revocation_note="Revisión de la asistencia con la clínica." if revoked else None)


def add_months(moment: datetime, months: int) -> datetime:
    from app.certificates.services import add_months as app_add_months

    return app_add_months(moment, months)
