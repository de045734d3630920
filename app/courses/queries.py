"""Read-only questions about courses: outlines, progress, where to resume. No writes (GET is safe)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple, TypeVar

import sqlalchemy as sa

from app.auth.models import User
from app.courses.models import CohortCourse, Course, CourseModule, Lesson, LessonContent, LessonProgress
from app.extensions import db
from app.orgs.models import Cohort, CohortMember, CohortRole


class LessonLink(NamedTuple):
    """A lesson as a link: enough to name it in a URL."""

    id: int
    slug: str


@dataclass
class OutlineLesson:
    lesson: Lesson | LessonLink
    title: str
    is_done: bool


@dataclass
class OutlineModule:
    module: CourseModule
    title: str
    lessons: list[OutlineLesson] = field(default_factory=list)


@dataclass
class CourseProgress:
    course: Course
    language: str
    modules: list[OutlineModule]
    done: int
    total: int
    resume: Lesson | None

    @property
    def is_complete(self) -> bool:
        return self.total > 0 and self.done == self.total


@dataclass
class LessonPage:
    course: Course
    lesson: Lesson
    content: LessonContent
    previous: OutlineLesson | None
    next: OutlineLesson | None
    is_done: bool
    position: int
    total: int


_L = TypeVar("_L", Lesson, LessonLink)


def visible_lessons(course: Course) -> list[Lesson]:
    """The course's lessons in reading order, without those removed from the pack."""
    return list(
        db.session.scalars(
            sa.select(Lesson)
            .join(CourseModule, CourseModule.id == Lesson.module_id)
            .where(Lesson.course_id == course.id, Lesson.is_hidden.is_(False), CourseModule.is_hidden.is_(False))
            .options(sa.orm.contains_eager(Lesson.module))  # the outline reads each lesson's module: no query per module
            .order_by(CourseModule.position, Lesson.position)
        )
    )


def completions(user: User, lessons: list[Lesson]) -> dict[int, datetime]:
    if not lessons:
        return {}
    rows = db.session.execute(
        sa.select(LessonProgress.lesson_id, LessonProgress.completed_at).where(
            LessonProgress.user_id == user.id, LessonProgress.lesson_id.in_([x.id for x in lessons])
        )
    )
    return {lesson_id: completed_at for lesson_id, completed_at in rows}


def resume_lesson(lessons: list[_L], done: dict[int, datetime]) -> _L | None:
    """The first lesson not done after the one finished last; else the first not done; None when all are done."""
    remaining = [x for x in lessons if x.id not in done]
    if not remaining:
        return None
    if done:
        latest = max(done, key=lambda lesson_id: done[lesson_id])
        order = [x.id for x in lessons]
        if latest in order:
            after = order.index(latest)
            return next((x for x in lessons[after + 1:] if x.id not in done), remaining[0])
    return remaining[0]


def study_language(user: User, course: Course) -> str | None:
    """The language the user's cohort was given this course in, if they learn it."""
    return db.session.scalar(
        sa.select(CohortCourse.language)
        .join(Cohort, Cohort.id == CohortCourse.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortCourse.course_id == course.id, CohortMember.user_id == user.id,
               CohortMember.role == CohortRole.TRAINEE, Cohort.organisation_id == user.organisation_id)
        .order_by(CohortCourse.id)
        .limit(1)
    )


def course_language(user: User, course: Course, locale: str) -> str:
    """Learners read their cohort's language; others the interface language if the course has it."""
    language = study_language(user, course)
    if language in course.languages:
        return language
    if locale in course.languages:
        return locale
    return course.languages[0] if course.languages else locale


def _titles(lessons: list[Lesson] | list[LessonLink], language: str) -> dict[int, str]:
    titles: dict[int, str] = {}
    if not lessons:
        return titles
    rows = db.session.execute(
        sa.select(LessonContent.lesson_id, LessonContent.language, LessonContent.title)
        .where(LessonContent.lesson_id.in_([x.id for x in lessons]))
    )
    for lesson_id, content_language, title in rows:
        if content_language == language or lesson_id not in titles:
            titles[lesson_id] = title
    return titles


def course_progress(user: User, course: Course, language: str) -> CourseProgress:
    lessons = visible_lessons(course)
    done = completions(user, lessons)
    titles = _titles(lessons, language)
    modules: list[OutlineModule] = []
    for lesson in lessons:
        if not modules or modules[-1].module.id != lesson.module_id:
            modules.append(OutlineModule(lesson.module, lesson.module.title_in(language)))
        modules[-1].lessons.append(OutlineLesson(lesson, titles.get(lesson.id, lesson.slug), lesson.id in done))
    return CourseProgress(course, language, modules, done=len(done), total=len(lessons),
                          resume=resume_lesson(lessons, done))


@dataclass
class CourseCard:
    """A course on the learner's home and "My courses": progress and where to resume, without the outline."""

    course: Course
    language: str
    done: int
    total: int
    resume: LessonLink | None


def course_cards(user: User) -> list[CourseCard]:
    """Courses given to the user's cohorts (as a trainee), in the cohort's language, with progress.

    Two statements whatever the number of courses: the courses, then every visible lesson of them
    in reading order with the user's completion beside it.
    """
    given = db.session.execute(
        sa.select(Course, CohortCourse.language)
        .join(CohortCourse, CohortCourse.course_id == Course.id)
        .join(Cohort, Cohort.id == CohortCourse.cohort_id)
        .join(CohortMember, CohortMember.cohort_id == Cohort.id)
        .where(CohortMember.user_id == user.id, CohortMember.role == CohortRole.TRAINEE,
               Cohort.organisation_id == user.organisation_id,
               Course.is_published.is_(True), Course.archived_at.is_(None))
        .order_by(CohortCourse.id)
    ).all()
    first: dict[int, tuple[Course, str]] = {}
    for course, language in given:
        first.setdefault(course.id, (course, language))
    if not first:
        return []
    lessons: dict[int, list[LessonLink]] = {course_id: [] for course_id in first}
    done: dict[int, dict[int, datetime]] = {course_id: {} for course_id in first}
    rows = db.session.execute(
        sa.select(Lesson.course_id, Lesson.id, Lesson.slug, LessonProgress.completed_at)
        .join(CourseModule, CourseModule.id == Lesson.module_id)
        .outerjoin(LessonProgress, (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.user_id == user.id))
        .where(Lesson.course_id.in_(list(first)), Lesson.is_hidden.is_(False), CourseModule.is_hidden.is_(False))
        .order_by(Lesson.course_id, CourseModule.position, Lesson.position)
    )
    for course_id, lesson_id, slug, completed_at in rows:
        lessons[course_id].append(LessonLink(lesson_id, slug))
        if completed_at is not None:
            done[course_id][lesson_id] = completed_at
    return [CourseCard(course, language, done=len(done[course_id]), total=len(lessons[course_id]),
                       resume=resume_lesson(lessons[course_id], done[course_id]))
            for course_id, (course, language) in first.items()]


def lesson_page(user: User, course: Course, lesson_slug: str, language: str) -> LessonPage | None:
    """A lesson with its place in the course, usually in two statements (the reading order with the
    user's completion and each title in ``language``, then the lesson with its texts)."""
    rows = db.session.execute(
        sa.select(Lesson.id, Lesson.slug, LessonProgress.completed_at, LessonContent.title)
        .join(CourseModule, CourseModule.id == Lesson.module_id)
        .outerjoin(LessonProgress, (LessonProgress.lesson_id == Lesson.id) & (LessonProgress.user_id == user.id))
        .outerjoin(LessonContent, (LessonContent.lesson_id == Lesson.id) & (LessonContent.language == language))
        .where(Lesson.course_id == course.id, Lesson.is_hidden.is_(False), CourseModule.is_hidden.is_(False))
        .order_by(CourseModule.position, Lesson.position)
    ).all()
    index = next((i for i, row in enumerate(rows) if row.slug == lesson_slug), None)
    if index is None:
        return None
    lesson = db.session.execute(
        sa.select(Lesson).where(Lesson.id == rows[index].id).options(sa.orm.joinedload(Lesson.contents))
    ).unique().scalar_one()
    contents = {c.language: c for c in lesson.contents}
    content = contents.get(language) or next((contents[x] for x in course.languages if x in contents), None)
    if content is None:
        return None
    neighbours = [rows[i] for i in (index - 1, index + 1) if 0 <= i < len(rows)]
    previous = LessonLink(rows[index - 1].id, rows[index - 1].slug) if index else None
    following = LessonLink(rows[index + 1].id, rows[index + 1].slug) if index + 1 < len(rows) else None
    if content.language == language and all(row.title is not None for row in neighbours):
        titles = {row.id: row.title for row in neighbours}
    else:  # the lesson is shown in another language, or a neighbour lacks this one: as _titles() chooses
        titles = _titles([x for x in (previous, following) if x is not None], content.language)

    def outline(other: LessonLink | None) -> OutlineLesson | None:
        return None if other is None else OutlineLesson(other, titles.get(other.id, other.slug), False)

    return LessonPage(course=course, lesson=lesson, content=content, previous=outline(previous),
                      next=outline(following), is_done=rows[index].completed_at is not None,
                      position=index + 1, total=len(rows))


def visible_lesson(course: Course, lesson_slug: str) -> Lesson | None:
    return db.session.scalar(
        sa.select(Lesson)
        .join(CourseModule, CourseModule.id == Lesson.module_id)
        .where(Lesson.course_id == course.id, Lesson.slug == lesson_slug,
               Lesson.is_hidden.is_(False), CourseModule.is_hidden.is_(False))
    )


def next_lesson(course: Course, lesson: Lesson) -> Lesson | None:
    lessons = visible_lessons(course)
    ids = [x.id for x in lessons]
    index = ids.index(lesson.id) if lesson.id in ids else len(ids)
    return lessons[index + 1] if index + 1 < len(lessons) else None


# -- authoring -----------------------------------------------------------------------------

def authoring_courses(organisation_id: int) -> list[Course]:
    """The organisation's web courses and every pack course, by slug (archived ones included)."""
    return list(db.session.scalars(
        sa.select(Course).where(sa.or_(Course.organisation_id == organisation_id, Course.organisation_id.is_(None)))
        .order_by(Course.archived_at.is_not(None), Course.slug)
    ))


@dataclass
class AuthoringLesson:
    lesson: Lesson
    titles: dict[str, str]  # language -> title, for the languages that have a text


@dataclass
class AuthoringModule:
    module: CourseModule
    lessons: list[AuthoringLesson] = field(default_factory=list)


def authoring_outline(course: Course) -> list[AuthoringModule]:
    """Every visible module (even empty ones) with its lessons and the languages each is written in."""
    modules = [AuthoringModule(m) for m in sorted(course.modules, key=lambda m: (m.position, m.id)) if not m.is_hidden]
    by_id = {item.module.id: item for item in modules}
    lessons = list(db.session.scalars(
        sa.select(Lesson).where(Lesson.course_id == course.id, Lesson.is_hidden.is_(False))
        .order_by(Lesson.position, Lesson.id)
    ))
    titles: dict[int, dict[str, str]] = {}
    if lessons:
        for lesson_id, language, title in db.session.execute(
            sa.select(LessonContent.lesson_id, LessonContent.language, LessonContent.title)
            .where(LessonContent.lesson_id.in_([x.id for x in lessons]))
        ):
            titles.setdefault(lesson_id, {})[language] = title
    for lesson in lessons:
        if lesson.module_id in by_id:
            by_id[lesson.module_id].lessons.append(AuthoringLesson(lesson, titles.get(lesson.id, {})))
    return modules


@dataclass
class CohortCourseRow:
    cohort: Cohort
    language: str | None  # None: not given


def cohorts_for_course(course: Course, cohorts: list[Cohort]) -> list[CohortCourseRow]:
    """These cohorts, each with the language it studies the course in (if it does)."""
    given = {cohort_id: language for cohort_id, language in db.session.execute(
        sa.select(CohortCourse.cohort_id, CohortCourse.language).where(CohortCourse.course_id == course.id))}
    return [CohortCourseRow(cohort, given.get(cohort.id)) for cohort in cohorts]


def organisation_cohorts(organisation_id: int) -> list[Cohort]:
    return list(db.session.scalars(sa.select(Cohort).where(Cohort.organisation_id == organisation_id)
                                   .order_by(Cohort.name)))


def reviewed_since(user: User, lesson: Lesson, since: datetime) -> bool:
    """Done, or reviewed again, on or after ``since`` (a refresher before recertification)."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(LessonProgress).where(
        LessonProgress.user_id == user.id, LessonProgress.lesson_id == lesson.id,
        sa.or_(LessonProgress.completed_at >= since, LessonProgress.reviewed_at >= since))) > 0
