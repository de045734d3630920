"""What each file of a research export holds: its columns, their types, meanings and allowed values.

One description serves three readers: the writer (headers), data_dictionary.csv and the export page.
It is written in English on purpose: exports pooled from Spanish- and English-speaking programmes
must share one dictionary, word for word.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from app.certificates.models import RevocationReason
from app.certificates.verification import CertificateStatus
from app.competencies.models import AssessmentMethod, AssessmentStage, HarmFlagStatus
from app.orgs.models import CohortRole, CohortStatus, Role
from app.practice.models import DeliveryMode, EntryStatus, Intervention, RiskFlag
from app.quizzes.gift import QuestionType
from app.quizzes.models import AttemptStatus, QuizKind
from app.supervision.models import Modality, SessionFormat, Topic
from app.training.models import AttendanceStatus

TYPES = {
    "integer": "integer",
    "decimal": "decimal (a dot, at most 4 decimals)",
    "text": "text",
    "boolean": "boolean (1 yes, 0 no)",
    "date": "date (ISO 8601: YYYY-MM-DD)",
    "datetime": "datetime (ISO 8601 in UTC: YYYY-MM-DDTHH:MM:SSZ)",
    "month": "month (YYYY-MM)",
    "list": "list (values separated by ';')",
}
PERSON_TYPE = {True: "user id (integer)", False: "pseudonym (P- and 16 characters)"}


def values(enum: type[Enum]) -> str:
    return "; ".join(str(member.value) for member in enum)


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # a key of TYPES, or "person"
    meaning: str
    allowed: str = ""
    identified_only: bool = False


@dataclass(frozen=True)
class DataFile:
    name: str
    about: str
    columns: tuple[Column, ...]

    def columns_for(self, identified: bool) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if identified or not c.identified_only)


def person(name: str, meaning: str) -> Column:
    return Column(name, "person", meaning + " (empty: nobody)")


LEVELS = "1 (harmful behaviour seen); 2; 3 (all basic behaviours); 4 (all basic and an advanced one)"

FILES: tuple[DataFile, ...] = (
    DataFile("people.csv", "One row per person whose account belongs to the organisation.", (
        person("person", "The person"),
        Column("full_name", "text", "Full name", identified_only=True),
        Column("username", "text", "Username used to sign in", identified_only=True),
        Column("site", "text", "Name of the person's site (empty: none)"),
        Column("roles", "list", "Roles in the organisation", values(Role)),
        Column("trainee_cohorts", "list", "cohort_id of each cohort the person is a trainee in"),
        Column("created_month", "month", "Month the account was created"),
        Column("is_active", "boolean", "The account can sign in (not deactivated)"),
    )),
    DataFile("cohorts.csv", "One row per cohort (training group).", (
        Column("cohort_id", "integer", "The cohort"),
        Column("name", "text", "Name given by the organisation"),
        Column("site", "text", "Name of the cohort's site (empty: none)"),
        Column("status", "text", "Cohort status", values(CohortStatus)),
        Column("starts_on", "date", "First day"),
        Column("ends_on", "date", "Last day"),
    )),
    DataFile("cohort_members.csv", "One row per person in a cohort, per role held there.", (
        Column("cohort_id", "integer", "The cohort (cohorts.csv)"),
        person("person", "The member"),
        Column("role", "text", "Role in the cohort", values(CohortRole)),
        Column("joined_at", "datetime", "When the person was added"),
    )),
    DataFile("cohort_courses.csv", "One row per course given to a cohort.", (
        Column("cohort_id", "integer", "The cohort (cohorts.csv)"),
        Column("course", "text", "Course slug"),
        Column("course_version", "text", "Version of the course now"),
        Column("language", "text", "Language the cohort takes the course in (ISO 639-1)"),
        Column("given_at", "datetime", "When the course was given to the cohort"),
    )),
    DataFile("lesson_progress.csv", "One row per lesson a person has finished.", (
        person("person", "The learner"),
        Column("course", "text", "Course slug"),
        Column("module", "text", "Module slug"),
        Column("lesson", "text", "Lesson slug"),
        Column("completed_at", "datetime", "When the lesson was marked done"),
    )),
    DataFile("training_days.csv", "One row per face-to-face training day.", (
        Column("training_day_id", "integer", "The training day"),
        Column("cohort_id", "integer", "The cohort (cohorts.csv)"),
        Column("held_on", "date", "Date of the day"),
        person("facilitator", "Facilitator with an account"),
    )),
    DataFile("attendance.csv", "One row per trainee and training day with a recorded status.", (
        Column("training_day_id", "integer", "The day (training_days.csv)"),
        person("trainee", "The trainee"),
        Column("status", "text", "Attendance", values(AttendanceStatus)),
        Column("recorded_at", "datetime", "When the status was last recorded"),
    )),
    DataFile("quiz_attempts.csv", "One row per attempt at a quiz (pre-test, post-test, module check).", (
        Column("attempt_id", "integer", "The attempt"),
        person("trainee", "The learner"),
        Column("cohort_id", "integer", "Cohort the attempt counts for (empty: none)"),
        Column("course", "text", "Course slug"),
        Column("quiz", "text", "Quiz slug (unique within the course)"),
        Column("kind", "text", "Kind of quiz", values(QuizKind)),
        Column("number", "integer", "1 for the learner's first attempt at this quiz, 2 for the second..."),
        Column("language", "text", "Language the attempt was taken in"),
        Column("status", "text", "Attempt status", values(AttemptStatus)),
        Column("started_at", "datetime", "Start"),
        Column("submitted_at", "datetime", "Submission (empty: not submitted)"),
        Column("graded_at", "datetime", "When an essay was marked (empty: no manual marking)"),
        Column("score", "decimal", "Marks obtained"),
        Column("max_score", "decimal", "Marks available"),
        Column("percent", "decimal", "Score as a percentage, 0-100"),
    )),
    DataFile("quiz_responses.csv", "One row per question shown in an attempt; answers' text is left out.", (
        Column("attempt_id", "integer", "The attempt (quiz_attempts.csv)"),
        Column("position", "integer", "Order in the attempt, from 0"),
        Column("question_key", "text", "The question's key in its bank"),
        Column("question_version", "integer", "Version of the question shown (empty: version deleted)"),
        Column("question_type", "text", "Question type", values(QuestionType)),
        Column("mark", "decimal", "Marks the question is worth"),
        Column("fraction", "decimal", "Share of the marks obtained, usually 0-1 (empty: not graded yet)"),
        Column("answered_at", "datetime", "When it was answered (empty: not answered)"),
    )),
    DataFile("assessments.csv", "One row per submitted competency assessment (one rater, one performance); "
             "drafts are left out.", (
        Column("assessment_id", "integer", "The assessment"),
        person("trainee", "The person rated (empty: an actor or recording in a calibration session)"),
        person("rater", "The rater"),
        Column("tool", "text", "Competency tool slug"),
        Column("tool_version", "text", "Version of the tool used"),
        Column("cohort_id", "integer", "Cohort (empty: none)"),
        Column("stage", "text", "Round", values(AssessmentStage)),
        Column("method", "text", "How the performance was seen", values(AssessmentMethod)),
        Column("scenario", "text", "Role-play scenario slug (empty: none)"),
        Column("rating_session_id", "integer", "Calibration session with several raters (empty: none)"),
        Column("observed_on", "date", "Date of the performance"),
        Column("submitted_at", "datetime", "Submission"),
        Column("amends_assessment_id", "integer", "The assessment this one corrects (empty: none)"),
        Column("superseded_at", "datetime", "When a correction replaced this one (empty: current)"),
        Column("has_harm", "boolean", "Some item at level 1"),
        Column("items_rated", "integer", "Items with a level"),
        Column("items_not_observed", "integer", "Items marked not observed or not applicable"),
        Column("items_level_1", "integer", "Items at level 1 (harmful)"),
        Column("items_level_2", "integer", "Items at level 2"),
        Column("items_level_3", "integer", "Items at level 3"),
        Column("items_level_4", "integer", "Items at level 4"),
        Column("lowest_level", "integer", "Lowest level of any item (empty: none rated)", "1; 2; 3; 4"),
    )),
    DataFile("item_ratings.csv", "One row per item rated in a submitted assessment; the level is derived from "
             "the behaviours ticked, never typed.", (
        Column("assessment_id", "integer", "The assessment (assessments.csv)"),
        Column("tool", "text", "Competency tool slug"),
        Column("item", "text", "Item code within the tool"),
        Column("not_observed", "boolean", "Not observed or not applicable (then no level)"),
        Column("level", "integer", "Derived level (empty: not observed)", LEVELS),
        Column("behaviours", "list", "Codes of every behaviour ticked"),
        Column("harmful_behaviours", "list", "Codes of the potentially harmful behaviours ticked"),
    )),
    DataFile("harm_flags.csv", "One row per harm flag (harmful behaviour seen on an item); notes and "
             "remediation plans are left out.", (
        Column("flag_id", "integer", "The flag"),
        person("trainee", "The trainee"),
        Column("tool", "text", "Competency tool slug"),
        Column("item", "text", "Item code"),
        Column("status", "text", "Flag status", values(HarmFlagStatus)),
        Column("harmful_behaviours", "list", "Codes of the harmful behaviours seen"),
        Column("raised_at", "datetime", "When the flag was raised"),
        Column("raised_by_assessment_id", "integer", "Assessment that raised it (assessments.csv)"),
        Column("cleared_at", "datetime", "When it was cleared (empty: open)"),
        Column("cleared_by_assessment_id", "integer", "Assessment that cleared it (empty: open)"),
    )),
    DataFile("supervision_sessions.csv", "One row per submitted supervision session; notes, case summaries and "
             "client codes are left out.", (
        Column("session_id", "integer", "The session"),
        person("supervisor", "The supervisor"),
        Column("site", "text", "Site name (empty: none)"),
        Column("cohort_id", "integer", "Cohort (empty: none)"),
        Column("format", "text", "Format", values(SessionFormat)),
        Column("modality", "text", "How people met", values(Modality)),
        Column("started_at", "datetime", "Start"),
        Column("duration_minutes", "integer", "Length in minutes"),
        Column("topics", "list", "Topics covered", values(Topic)),
        Column("submitted_at", "datetime", "When the record was submitted"),
        Column("attendee_count", "integer", "Supervisees present"),
        Column("case_count", "integer", "Client cases discussed"),
        Column("high_risk_case_count", "integer", "Cases discussed at high or imminent risk"),
    )),
    DataFile("supervision_attendees.csv", "One row per supervisee in a submitted supervision session.", (
        Column("session_id", "integer", "The session (supervision_sessions.csv)"),
        person("supervisee", "The supervisee"),
        Column("acknowledged_at", "datetime", "When the supervisee acknowledged the record (empty: not yet)"),
    )),
    DataFile("practice_cases.csv", "One row per practice case (one client, one intervention, one trainee); "
             "client codes and narratives are left out; drafts are not counted.", (
        Column("case_id", "integer", "The case"),
        person("trainee", "The trainee who delivers it"),
        Column("intervention", "text", "Intervention", values(Intervention)),
        Column("sessions", "integer", "Sessions sent to the supervisor (any status but draft)"),
        Column("sessions_verified", "integer", "Sessions verified by the supervisor"),
        Column("sessions_waiting", "integer", "Sessions waiting for the supervisor"),
        Column("sessions_returned", "integer", "Sessions returned for correction"),
        Column("first_delivered_on", "date", "First session delivered"),
        Column("last_delivered_on", "date", "Last session delivered"),
    )),
    DataFile("practice_sessions.csv", "One row per delivered session sent to the supervisor; notes are left "
             "out; drafts (private to the trainee) too.", (
        Column("entry_id", "integer", "The session entry"),
        Column("case_id", "integer", "The case (practice_cases.csv)"),
        person("trainee", "The trainee"),
        Column("session_number", "integer", "Session number within the intervention"),
        Column("delivered_on", "date", "Date delivered"),
        Column("duration_minutes", "integer", "Length in minutes"),
        Column("mode", "text", "How it was delivered", values(DeliveryMode)),
        Column("status", "text", "Review status", values(EntryStatus)),
        Column("risk_flags", "list", "Risks seen", values(RiskFlag)),
        Column("outcome_before", "integer", "PSYCHLOPS total before the session, 0-20 (higher: more distress)"),
        Column("outcome_after", "integer", "PSYCHLOPS total at the post-assessment, 0-20"),
        Column("submitted_at", "datetime", "When it was sent to the supervisor"),
        Column("reviewed_at", "datetime", "Last verification or return (empty: waiting)"),
        person("reviewer", "The supervisor who last reviewed it"),
    )),
    DataFile("certificates.csv", "One row per certificate issued; codes, names and revocation notes are left out.", (
        Column("certificate_id", "integer", "The certificate"),
        person("trainee", "The holder"),
        Column("course", "text", "Course slug"),
        Column("course_version", "text", "Course version certified"),
        Column("cohort_id", "integer", "Cohort (empty: none)"),
        Column("issued_at", "datetime", "Issue"),
        Column("valid_from", "datetime", "Start of validity"),
        Column("valid_until", "datetime", "End of validity (empty: never expires)"),
        Column("status", "text", "Status when the export was made", values(CertificateStatus)),
        Column("revoked_at", "datetime", "Revocation (empty: not revoked)"),
        Column("revocation_reason", "text", "Reason category (empty: not revoked)", values(RevocationReason)),
        Column("previous_certificate_id", "integer", "Certificate this one renews (empty: first)"),
    )),
)
BY_NAME = {f.name: f for f in FILES}

DICTIONARY = DataFile("data_dictionary.csv", "This file: every column of every file.", (
    Column("file", "text", "File name"),
    Column("column", "text", "Column name"),
    Column("type", "text", "Type of the values"),
    Column("meaning", "text", "What the column holds"),
    Column("allowed_values", "text", "The values it may take (empty: any of its type)"),
))


def dictionary_rows(identified: bool) -> list[tuple[str, str, str, str, str]]:
    rows = []
    for data_file in (*FILES, DICTIONARY):
        for column in data_file.columns_for(identified):
            kind = PERSON_TYPE[identified] if column.type == "person" else TYPES[column.type]
            rows.append((data_file.name, column.name, kind, column.meaning, column.allowed))
    return rows
