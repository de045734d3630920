"""Question banks (versioned questions), quizzes built from them, and attempts that snapshot what was shown.

A bank is one language of a set of questions (``quizzes/<bank-slug>.<lang>.gift``, or authored
on the web). A question keeps every version; an attempt copies the version it showed into
``AttemptQuestion.snapshot`` so a later edit never changes a recorded result. A quiz names a
bank by slug and its questions by key, so the same quiz serves every language of the bank.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import TimestampMixin, enum_column, utcnow
from app.extensions import db
from app.quizzes.gift import QuestionType

if TYPE_CHECKING:
    from app.auth.models import User
    from app.courses.models import Course, CourseModule
    from app.orgs.models import Cohort


class BankSource(StrEnum):
    PACK = "pack"  # a file in quizzes/, read-only in the browser
    WEB = "web"  # authored or imported in the browser by an organisation


class QuestionBank(TimestampMixin, db.Model):
    """The questions of one bank in one language. Pack banks are shared (organisation_id is None)."""

    __tablename__ = "question_banks"
    __table_args__ = (sa.UniqueConstraint("slug", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    language: Mapped[str] = mapped_column(sa.String(8))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    source: Mapped[BankSource] = mapped_column(enum_column(BankSource), default=BankSource.PACK)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))
    archived_at: Mapped[datetime | None]

    categories: Mapped[list[QuestionCategory]] = relationship(
        back_populates="bank", order_by="QuestionCategory.path", cascade="all, delete-orphan"
    )
    questions: Mapped[list[Question]] = relationship(
        back_populates="bank", order_by="Question.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<QuestionBank {self.slug}.{self.language}>"


class QuestionCategory(db.Model):
    """A GIFT ``$CATEGORY:`` path such as ``$course$/PM+/Risk``; quizzes may draw at random from one."""

    __tablename__ = "question_categories"
    __table_args__ = (sa.UniqueConstraint("bank_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(sa.String(300))

    bank: Mapped[QuestionBank] = relationship(back_populates="categories")

    @property
    def name(self) -> str:
        return self.path.rstrip("/").rsplit("/", 1)[-1]


class Question(db.Model):
    """A question kept across edits by (bank, key); ``key`` is its GIFT ``::name::`` or a generated one."""

    __tablename__ = "questions"
    __table_args__ = (sa.UniqueConstraint("bank_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id", ondelete="CASCADE"), index=True)
    category_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_categories.id", ondelete="SET NULL"), index=True
    )
    key: Mapped[str] = mapped_column(sa.String(200))
    position: Mapped[int] = mapped_column(default=0)
    is_hidden: Mapped[bool] = mapped_column(default=False)  # left the pack or retired; attempts keep it
    current_number: Mapped[int] = mapped_column(default=1)  # the version shown to new attempts

    bank: Mapped[QuestionBank] = relationship(back_populates="questions")
    category: Mapped[QuestionCategory | None] = relationship()
    current_version: Mapped[QuestionVersion | None] = relationship(
        primaryjoin="and_(QuestionVersion.question_id == Question.id, "
        "QuestionVersion.number == Question.current_number)",
        viewonly=True,
        uselist=False,
    )
    versions: Mapped[list[QuestionVersion]] = relationship(
        back_populates="question", order_by="QuestionVersion.number", cascade="all, delete-orphan"
    )


class VersionOrigin(StrEnum):
    """Where a question version came from, shown in its history."""

    PACK = "pack"  # a bank file in quizzes/, by flask content sync
    IMPORT = "import"  # a GIFT file imported in the browser or with flask quizzes import
    EDITOR = "editor"  # written or edited in the browser


class QuestionVersion(db.Model):
    """One immutable version of a question: ``data`` is the question as a GIFT-shaped dict."""

    __tablename__ = "question_versions"
    __table_args__ = (sa.UniqueConstraint("question_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    qtype: Mapped[QuestionType] = mapped_column(enum_column(QuestionType))
    data: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    content_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    change_note: Mapped[str | None] = mapped_column(sa.String(300))
    origin: Mapped[VersionOrigin] = mapped_column(enum_column(VersionOrigin), default=VersionOrigin.EDITOR)

    question: Mapped[Question] = relationship(back_populates="versions")
    created_by: Mapped[User | None] = relationship()


class QuestionImportStatus(StrEnum):
    PREVIEWED = "previewed"
    IMPORTED = "imported"
    DISCARDED = "discarded"


class QuestionImport(db.Model):
    """GIFT text uploaded into a web bank, kept between the preview and the confirmation.

    The status makes the confirmation happen once: a second submit finds it imported.
    """

    __tablename__ = "question_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(sa.ForeignKey("question_banks.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    gift_text: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[QuestionImportStatus] = mapped_column(
        enum_column(QuestionImportStatus), default=QuestionImportStatus.PREVIEWED
    )
    question_count: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    imported_at: Mapped[datetime | None]
    imported_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    bank: Mapped[QuestionBank] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    imported_by: Mapped[User | None] = relationship(foreign_keys=[imported_by_id])


class QuizKind(StrEnum):
    PRE_TEST = "pre_test"
    POST_TEST = "post_test"
    MODULE_CHECK = "module_check"
    PRACTICE = "practice"


class GradingMethod(StrEnum):
    HIGHEST = "highest"
    LAST = "last"
    FIRST = "first"
    AVERAGE = "average"


class FeedbackTiming(StrEnum):
    IMMEDIATE = "immediate"  # after each question is answered
    AFTER_SUBMIT = "after_submit"
    AFTER_CLOSE = "after_close"


class Quiz(TimestampMixin, db.Model):
    """A quiz of a course drawn from a bank; pack quizzes come from ``course.toml`` (organisation_id None)."""

    __tablename__ = "quizzes"
    __table_args__ = (sa.UniqueConstraint("course_id", "slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    module_id: Mapped[int | None] = mapped_column(sa.ForeignKey("course_modules.id", ondelete="SET NULL"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    slug: Mapped[str] = mapped_column(sa.String(64))
    kind: Mapped[QuizKind] = mapped_column(enum_column(QuizKind))
    title: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    intro: Mapped[dict[str, str]] = mapped_column(sa.JSON, default=dict)
    bank_slug: Mapped[str] = mapped_column(sa.String(64))
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_answers: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(80))  # percent
    max_attempts: Mapped[int | None]  # None: unlimited
    grading_method: Mapped[GradingMethod] = mapped_column(enum_column(GradingMethod), default=GradingMethod.HIGHEST)
    time_limit_minutes: Mapped[int | None]
    feedback_timing: Mapped[FeedbackTiming] = mapped_column(
        enum_column(FeedbackTiming), default=FeedbackTiming.AFTER_SUBMIT
    )
    questions_per_page: Mapped[int] = mapped_column(default=1)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    is_published: Mapped[bool] = mapped_column(default=True)
    content_hash: Mapped[str | None] = mapped_column(sa.String(64))

    course: Mapped[Course] = relationship()
    module: Mapped[CourseModule | None] = relationship()
    slots: Mapped[list[QuizSlot]] = relationship(
        back_populates="quiz", order_by="QuizSlot.position", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Quiz {self.slug}>"


class QuizSlot(db.Model):
    """One place in a quiz: a fixed question (by key) or ``draw_count`` questions drawn from a category."""

    __tablename__ = "quiz_slots"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question_key: Mapped[str | None] = mapped_column(sa.String(200))
    category_path: Mapped[str | None] = mapped_column(sa.String(300))
    draw_count: Mapped[int] = mapped_column(default=1)
    mark: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(1))

    quiz: Mapped[Quiz] = relationship(back_populates="slots")


class QuizOverride(db.Model):
    """An organisation's own settings for a quiz (pack quizzes are shared): set by its trainers in the browser."""

    __tablename__ = "quiz_overrides"
    __table_args__ = (sa.UniqueConstraint("quiz_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id", ondelete="CASCADE"), index=True)
    shuffle_questions: Mapped[bool] = mapped_column(default=False)
    shuffle_answers: Mapped[bool] = mapped_column(default=False)
    pass_mark: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal(80))
    max_attempts: Mapped[int | None]
    grading_method: Mapped[GradingMethod] = mapped_column(enum_column(GradingMethod), default=GradingMethod.HIGHEST)
    time_limit_minutes: Mapped[int | None]
    feedback_timing: Mapped[FeedbackTiming] = mapped_column(
        enum_column(FeedbackTiming), default=FeedbackTiming.AFTER_SUBMIT
    )
    questions_per_page: Mapped[int] = mapped_column(default=1)
    opens_at: Mapped[datetime | None]
    closes_at: Mapped[datetime | None]
    is_published: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    quiz: Mapped[Quiz] = relationship()


class AttemptStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    NEEDS_GRADING = "needs_grading"  # submitted, an essay waits for a trainer
    FINISHED = "finished"


class QuizAttempt(db.Model):
    """One try at a quiz by one learner, in one language; ``number`` counts their tries from 1."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "user_id", "number"),
        sa.Index("ix_quiz_attempts_user_quiz", "user_id", "quiz_id"),
        sa.Index("ix_quiz_attempts_status_deadline", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    cohort_id: Mapped[int | None] = mapped_column(sa.ForeignKey("cohorts.id", ondelete="SET NULL"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    language: Mapped[str] = mapped_column(sa.String(8))
    status: Mapped[AttemptStatus] = mapped_column(enum_column(AttemptStatus), default=AttemptStatus.IN_PROGRESS)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]  # time limit, enforced by the server
    submitted_at: Mapped[datetime | None]
    graded_at: Mapped[datetime | None]
    current_page: Mapped[int] = mapped_column(default=0)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 4))  # marks obtained
    max_score: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 4))
    percent: Mapped[Decimal | None] = mapped_column(sa.Numeric(7, 4))

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    cohort: Mapped[Cohort | None] = relationship()
    questions: Mapped[list[AttemptQuestion]] = relationship(
        back_populates="attempt", order_by="AttemptQuestion.position", cascade="all, delete-orphan"
    )


class AttemptQuestion(db.Model):
    """A question as shown in an attempt (``snapshot``, answer order included) and the learner's response."""

    __tablename__ = "attempt_questions"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question_version_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("question_versions.id", ondelete="SET NULL"), index=True
    )
    question_key: Mapped[str] = mapped_column(sa.String(200))
    qtype: Mapped[QuestionType] = mapped_column(enum_column(QuestionType))
    snapshot: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    mark: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2), default=Decimal(1))
    response: Mapped[Any | None] = mapped_column(sa.JSON)
    answered_at: Mapped[datetime | None]
    fraction: Mapped[Decimal | None] = mapped_column(sa.Numeric(8, 7))  # None: not graded yet
    feedback: Mapped[list[str] | None] = mapped_column(sa.JSON)
    graded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    grader_comment: Mapped[str | None] = mapped_column(sa.Text)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="questions")
    question_version: Mapped[QuestionVersion | None] = relationship()
    graded_by: Mapped[User | None] = relationship()
