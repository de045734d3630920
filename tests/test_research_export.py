"""The research export's files: columns, data dictionary, one organisation only, and pseudonyms that are
stable with a key, different with another, and leave no identity anywhere in the ZIP."""
from __future__ import annotations

import base64
import re
import stat

import pytest

from tests import courses_support, research_support
from tests.research_support import (
    KEY,
    PSEUDONYM,
    SECRETS,
    export_bytes,
    header,
    open_zip,
    pseudonym_of,
    rows,
)

content_path = courses_support.content_path  # fixtures
research_world = research_support.research_world

DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

HEADERS = {
    "people.csv": ["person", "site", "roles", "trainee_cohorts", "created_month", "is_active"],
    "cohorts.csv": ["cohort_id", "name", "site", "status", "starts_on", "ends_on"],
    "cohort_members.csv": ["cohort_id", "person", "role", "joined_at"],
    "cohort_courses.csv": ["cohort_id", "course", "course_version", "language", "given_at"],
    "lesson_progress.csv": ["person", "course", "module", "lesson", "completed_at"],
    "training_days.csv": ["training_day_id", "cohort_id", "held_on", "facilitator"],
    "attendance.csv": ["training_day_id", "trainee", "status", "recorded_at"],
    "quiz_attempts.csv": ["attempt_id", "trainee", "cohort_id", "course", "quiz", "kind", "number", "language",
                          "status", "started_at", "submitted_at", "graded_at", "score", "max_score", "percent"],
    "quiz_responses.csv": ["attempt_id", "position", "question_key", "question_version", "question_type", "mark",
                           "fraction", "answered_at"],
    "assessments.csv": ["assessment_id", "trainee", "rater", "tool", "tool_version", "cohort_id", "stage", "method",
                        "scenario", "rating_session_id", "observed_on", "submitted_at", "amends_assessment_id",
                        "superseded_at", "has_harm", "items_rated", "items_not_observed", "items_level_1",
                        "items_level_2", "items_level_3", "items_level_4", "lowest_level"],
    "item_ratings.csv": ["assessment_id", "tool", "item", "not_observed", "level", "behaviours", "harmful_behaviours"],
    "harm_flags.csv": ["flag_id", "trainee", "tool", "item", "status", "harmful_behaviours", "raised_at",
                       "raised_by_assessment_id", "cleared_at", "cleared_by_assessment_id"],
    "supervision_sessions.csv": ["session_id", "supervisor", "site", "cohort_id", "format", "modality", "started_at",
                                 "duration_minutes", "topics", "submitted_at", "attendee_count", "case_count",
                                 "high_risk_case_count"],
    "supervision_attendees.csv": ["session_id", "supervisee", "acknowledged_at"],
    "practice_cases.csv": ["case_id", "trainee", "intervention", "sessions", "sessions_verified", "sessions_waiting",
                           "sessions_returned", "first_delivered_on", "last_delivered_on"],
    "practice_sessions.csv": ["entry_id", "case_id", "trainee", "session_number", "delivered_on", "duration_minutes",
                              "mode", "status", "risk_flags", "outcome_before", "outcome_after", "submitted_at",
                              "reviewed_at", "reviewer"],
    "certificates.csv": ["certificate_id", "trainee", "course", "course_version", "cohort_id", "issued_at",
                         "valid_from", "valid_until", "status", "revoked_at", "revocation_reason",
                         "previous_certificate_id"],
    "data_dictionary.csv": ["file", "column", "type", "meaning", "allowed_values"],
}
PERSON_COLUMNS = {
    "people.csv": ["person"], "cohort_members.csv": ["person"], "lesson_progress.csv": ["person"],
    "training_days.csv": ["facilitator"], "attendance.csv": ["trainee"], "quiz_attempts.csv": ["trainee"],
    "assessments.csv": ["trainee", "rater"], "harm_flags.csv": ["trainee"], "supervision_sessions.csv": ["supervisor"],
    "supervision_attendees.csv": ["supervisee"], "practice_cases.csv": ["trainee"],
    "practice_sessions.csv": ["trainee", "reviewer"], "certificates.csv": ["trainee"],
}


def _person_values(files) -> list[str]:
    return [row[column] for name, columns in PERSON_COLUMNS.items() for row in rows(files, name)
            for column in columns if row[column]]


@pytest.mark.parametrize("identified", [False, True], ids=["pseudonymised", "identified"])
def test_each_file_has_its_columns(research_world, identified):
    first, _ = research_world
    files = open_zip(export_bytes(first.organisation, identified=identified)[0])

    assert set(files) == {*HEADERS, "README.txt"}
    for name, expected in HEADERS.items():
        if identified and name == "people.csv":
            expected = ["person", "full_name", "username", *expected[1:]]
        assert header(files, name) == expected, name
    assert files["people.csv"].startswith("person,") and "\r\n" in files["people.csv"]


@pytest.mark.parametrize("identified", [False, True], ids=["pseudonymised", "identified"])
def test_the_data_dictionary_describes_every_column_of_every_file(research_world, identified):
    first, _ = research_world
    files = open_zip(export_bytes(first.organisation, identified=identified)[0])

    described = {(row["file"], row["column"]) for row in rows(files, "data_dictionary.csv")}
    present = {(name, column) for name in files if name.endswith(".csv") for column in header(files, name)}
    assert described == present
    for row in rows(files, "data_dictionary.csv"):
        assert row["type"] and row["meaning"], row
    kinds = {row["column"]: row for row in rows(files, "data_dictionary.csv") if row["file"] == "assessments.csv"}
    assert kinds["stage"]["allowed_values"] == "pre; mid; post; supervision; recertification"
    assert kinds["rater"]["type"] == ("user id (integer)" if identified else "pseudonym (P- and 16 characters)")


def test_the_export_holds_one_organisation_only(research_world):
    first, second = research_world
    from app.research.pseudonyms import organisation_key

    files = open_zip(export_bytes(first.organisation)[0])
    key, _ = organisation_key(first.organisation)

    mine = {pseudonym_of(key, user_id) for user_id in first.user_ids}
    theirs = {pseudonym_of(key, user_id) for user_id in second.user_ids}
    assert set(_person_values(files)) <= mine and not set(_person_values(files)) & theirs
    assert {row["person"] for row in rows(files, "people.csv")} == mine
    assert [row["cohort_id"] for row in rows(files, "cohorts.csv")] == [str(first.ids["cohort"])]
    assert [row["attempt_id"] for row in rows(files, "quiz_attempts.csv")] == [str(first.ids["attempt"])]
    assert {row["attempt_id"] for row in rows(files, "quiz_responses.csv")} == {str(first.ids["attempt"])}
    assert [row["assessment_id"] for row in rows(files, "assessments.csv")] == [str(first.ids["assessment"])]
    assert {row["assessment_id"] for row in rows(files, "item_ratings.csv")} == {str(first.ids["assessment"])}
    assert [row["session_id"] for row in rows(files, "supervision_sessions.csv")] == [str(first.ids["session"])]
    assert [row["entry_id"] for row in rows(files, "practice_sessions.csv")] == [str(first.ids["entry"])]
    assert {row["certificate_id"] for row in rows(files, "certificates.csv")} == {
        str(first.ids["certificate"]), str(first.ids["revoked"])}
    assert [row["training_day_id"] for row in rows(files, "training_days.csv")] == [str(first.ids["day"])]
    assert {row["tool"] for row in rows(files, "harm_flags.csv")} == {first.ids["tool"]}
    assert second.ids["tool"] not in "".join(files.values())
    assert second.organisation.name not in files["README.txt"]


def test_identified_export_shows_user_ids_names_and_usernames(research_world):
    first, second = research_world
    files = open_zip(export_bytes(first.organisation, identified=True)[0])

    people = {int(row["person"]): row for row in rows(files, "people.csv")}
    assert set(people) == first.user_ids
    trainee = first.people["trainee"]
    assert people[trainee.id]["full_name"] == trainee.full_name
    assert people[trainee.id]["username"] == trainee.username
    assert {int(v) for v in _person_values(files)} <= first.user_ids
    assert not any(PSEUDONYM.match(v) for v in _person_values(files))
    assert "Mode:         identified" in files["README.txt"]
    assert second.people["trainee"].full_name not in "".join(files.values())


def test_pseudonymised_zip_holds_no_identity_and_no_free_text(research_world):
    first, _ = research_world
    files = open_zip(export_bytes(first.organisation)[0])
    everything = "\n".join(files.values())

    for person in first.people.values():
        for value in (person.full_name, person.username, person.email, person.phone):
            assert value not in everything, value
    for text in (*SECRETS, *first.ids["codes"], "CH-777", "CH-0001", "CH-0999"):
        assert text not in everything, text
    values = _person_values(files)
    assert values and all(PSEUDONYM.match(v) for v in values)
    assert not {str(i) for i in first.user_ids} & set(values)


def test_values_of_the_records(research_world):
    first, _ = research_world
    from app.research.pseudonyms import organisation_key

    files = open_zip(export_bytes(first.organisation)[0])
    key, _ = organisation_key(first.organisation)
    trainee, supervisor = (pseudonym_of(key, first.people[r].id) for r in ("trainee", "supervisor"))

    people = {row["person"]: row for row in rows(files, "people.csv")}
    assert people[trainee]["roles"] == "trainee"
    assert people[trainee]["trainee_cohorts"] == str(first.ids["cohort"])
    assert people[pseudonym_of(key, first.people["manager"].id)]["roles"] == "programme_manager"
    assert re.match(r"^\d{4}-\d\d$", people[trainee]["created_month"]) and people[trainee]["is_active"] == "1"

    [assessment] = rows(files, "assessments.csv")
    assert (assessment["trainee"], assessment["rater"], assessment["stage"], assessment["method"]) == (
        trainee, supervisor, "pre", "role_play")
    assert (assessment["has_harm"], assessment["items_rated"], assessment["items_not_observed"],
            assessment["items_level_1"], assessment["lowest_level"]) == ("1", "1", "1", "1", "1")
    ratings = {row["item"]: row for row in rows(files, "item_ratings.csv")}
    harmful_item, unseen_item = first.ids["items"]
    assert ratings[harmful_item]["level"] == "1" and ratings[harmful_item]["harmful_behaviours"].endswith("-H1")
    assert ratings[unseen_item]["not_observed"] == "1" and ratings[unseen_item]["level"] == ""
    [flag] = rows(files, "harm_flags.csv")
    assert (flag["trainee"], flag["item"], flag["status"]) == (trainee, harmful_item, "open")

    [attempt] = rows(files, "quiz_attempts.csv")
    assert (attempt["kind"], attempt["quiz"], attempt["score"], attempt["max_score"], attempt["percent"]) == (
        "pre_test", first.ids["quiz"], "2", "3", "66.6667")
    assert DATETIME.match(attempt["started_at"]) and attempt["started_at"] == "2026-03-02T15:00:00Z"
    assert [(r["question_key"], r["fraction"]) for r in rows(files, "quiz_responses.csv")] == [
        ("Q1", "1"), ("Q2", "0"), ("Q3", "1")]

    [session] = rows(files, "supervision_sessions.csv")
    assert (session["supervisor"], session["format"], session["modality"], session["duration_minutes"],
            session["topics"], session["attendee_count"], session["case_count"]) == (
        supervisor, "individual", "phone", "45", "risk", "1", "1")
    assert [r["supervisee"] for r in rows(files, "supervision_attendees.csv")] == [trainee]

    [case] = rows(files, "practice_cases.csv")  # the case with only a draft (private) is left out
    assert (case["intervention"], case["sessions"], case["sessions_verified"]) == ("pm_plus", "1", "1")
    [entry] = rows(files, "practice_sessions.csv")
    assert (entry["status"], entry["reviewer"], entry["outcome_before"], entry["delivered_on"]) == (
        "verified", supervisor, "14", "2026-03-03")

    certificates = {row["certificate_id"]: row for row in rows(files, "certificates.csv")}
    assert certificates[str(first.ids["certificate"])]["status"] == "valid"
    revoked = certificates[str(first.ids["revoked"])]
    assert (revoked["status"], revoked["revocation_reason"], revoked["course_version"]) == (
        "revoked", "conduct", "1.2.3")
    assert [r["status"] for r in rows(files, "attendance.csv")] == ["present"]
    assert [r["lesson"] for r in rows(files, "lesson_progress.csv")] == ["01-welcome"]


def test_pseudonyms_are_stable_across_exports_with_the_organisation_key(app, research_world):
    first, _ = research_world
    from app.research.pseudonyms import key_path

    data_one, summary_one = export_bytes(first.organisation)
    data_two, summary_two = export_bytes(first.organisation)

    assert summary_one.key_fingerprint == summary_two.key_fingerprint and not summary_two.key_created
    assert rows(open_zip(data_one), "people.csv") == rows(open_zip(data_two), "people.csv")
    path = key_path(first.organisation)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert summary_one.key_fingerprint in open_zip(data_one)["README.txt"]


def test_another_key_gives_other_pseudonyms_and_a_shared_key_the_same_ones(research_world):
    first, _ = research_world
    trainee_id = first.people["trainee"].id

    own = {row["person"] for row in rows(open_zip(export_bytes(first.organisation)[0]), "people.csv")}
    shared = open_zip(export_bytes(first.organisation, key=KEY)[0])
    again = open_zip(export_bytes(first.organisation, key=KEY)[0])
    other = open_zip(export_bytes(first.organisation, key=KEY[::-1])[0])

    shared_people = {row["person"] for row in rows(shared, "people.csv")}
    assert shared_people == {row["person"] for row in rows(again, "people.csv")}
    assert pseudonym_of(KEY, trainee_id) in shared_people
    assert not shared_people & own
    assert not shared_people & {row["person"] for row in rows(other, "people.csv")}
    assert "a key file supplied for this export" in shared["README.txt"]


def test_the_same_user_id_on_two_servers_gets_two_pseudonyms_under_one_key(app, research_world, monkeypatch):
    """Programmes on two servers pool their exports under one key: their user 17s must not merge."""
    first, _ = research_world
    trainee_id = first.people["trainee"].id
    here = open_zip(export_bytes(first.organisation, key=KEY)[0])
    mine = pseudonym_of(KEY, trainee_id)
    monkeypatch.setitem(app.config, "BASE_URL", "https://acompana.other-programme.example")
    there = open_zip(export_bytes(first.organisation, key=KEY)[0])

    here_people = {row["person"] for row in rows(here, "people.csv")}
    there_people = {row["person"] for row in rows(there, "people.csv")}
    assert len(here_people) == len(there_people) == 6 and not here_people & there_people
    assert pseudonym_of(KEY, trainee_id, "https://acompana.other-programme.example") in there_people
    assert mine in here_people
    assert "Server:       https://acompana.other-programme.example" in there["README.txt"]


def test_a_key_file_is_read_without_surrounding_spaces_and_must_be_long_enough():
    from app.research.pseudonyms import KeyFileError, fingerprint, parse_key, pseudonym

    assert parse_key(b"  " + KEY + b"\r\n") == KEY
    assert pseudonym(parse_key(KEY + b"\n"), 7) == pseudonym_of(KEY, 7)
    assert fingerprint(KEY) != fingerprint(KEY[::-1])
    with pytest.raises(KeyFileError):
        parse_key(b"short key\n")
    with pytest.raises(KeyFileError):
        parse_key(b"x" * 2000)


def test_without_the_key_a_pseudonym_is_not_the_hash_of_the_id(app, research_world):
    """Only the keyed hash gives the pseudonym: a plain hash of the id (a dictionary attack) finds nothing."""
    import hashlib

    first, _ = research_world
    files = open_zip(export_bytes(first.organisation, key=KEY)[0])
    published = {row["person"] for row in rows(files, "people.csv")}
    server = app.config["BASE_URL"]
    guesses = {"P-" + base64.b32encode(hashlib.sha256(message.encode()).digest()).decode()[:16]
               for i in range(1, 5000)
               for message in (f"acompana-person-v2:{server}/users/{i}", f"acompana-person-v1:{i}", str(i))}
    assert published and not published & guesses


def test_text_that_looks_like_a_formula_is_defused(research_world, make_cohort):
    first, _ = research_world
    make_cohort(organisation=first.organisation, name='=HYPERLINK("http://evil.example","x")')

    files = open_zip(export_bytes(first.organisation)[0])
    names = [row["name"] for row in rows(files, "cohorts.csv")]
    assert "'=HYPERLINK(\"http://evil.example\",\"x\")" in names


def test_readme_says_what_when_whose_and_how_many(research_world):
    first, _ = research_world
    data, summary = export_bytes(first.organisation)
    readme = open_zip(data)["README.txt"]

    assert first.organisation.name in readme and first.organisation.slug in readme
    assert "Mode:         pseudonymised" in readme
    assert 'HMAC-SHA256(key, "acompana-person-v2:<server>/users/<user_id>")' in readme
    assert "Server:       http" in readme and "people of different servers never share a pseudonym" in readme
    assert summary.made_at.strftime("%Y-%m-%dT%H:%M:%SZ") in readme
    assert re.search(r"item_ratings\.csv\s+2 rows", readme)
    assert re.search(r"people\.csv\s+6 rows", readme)
    assert summary.counts["quiz_responses.csv"] == 3


def test_a_key_is_for_pseudonymised_exports_only(research_world):
    first, _ = research_world
    with pytest.raises(ValueError):
        export_bytes(first.organisation, identified=True, key=KEY)
