"""Report queries: the number of SQL statements does not grow with trainees; the supervisor's home lists."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from app.competencies import queries
from tests.competency_support import fhs_tool, make_assessment  # noqa: F401  (fixture)

LEVELS = [1, 2, 3, 4, None]


@contextmanager
def counting_statements():
    found: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        found.append(statement)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", count)
    try:
        yield found
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", count)


def cohort_of(n: int, make_user, make_cohort, assign_supervisor, tool, supervisor, trainer):
    trainees = [make_user("trainee") for _ in range(n)]
    cohort = make_cohort(members={"trainee": trainees, "supervisor": [supervisor], "trainer": [trainer]})
    for i, trainee in enumerate(trainees):
        assign_supervisor(supervisor, trainee, cohort)
        levels = {item.code: LEVELS[(i + j) % 5] for j, item in enumerate(tool.items)}
        for stage in ("pre", "post"):
            make_assessment(trainee, tool, assessor=supervisor, cohort=cohort, stage=stage, levels=levels)
    return cohort


@pytest.mark.parametrize("who", ["trainer", "supervisor"])
@pytest.mark.parametrize("path", ["?stage=pre", "/progress", "/export.csv"])
def test_statements_do_not_grow_with_trainees(client, login, make_user, make_cohort, assign_supervisor, fhs_tool,
                                              who, path):
    people = {"supervisor": make_user("supervisor"), "trainer": make_user("trainer")}
    small = cohort_of(5, make_user, make_cohort, assign_supervisor, fhs_tool, **people)
    large = cohort_of(20, make_user, make_cohort, assign_supervisor, fhs_tool, **people)
    login(people[who])
    counts = {}
    for cohort, n in ((small, 5), (large, 20)):
        client.get(f"/cohorts/{cohort.id}/competencies{path}")  # warm up: the session user, the locale
        with counting_statements() as statements:
            response = client.get(f"/cohorts/{cohort.id}/competencies{path}")
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        if path == "?stage=pre":
            assert text.count('<th scope="row"><a') == n
        counts[n] = len(statements)
    assert counts[5] == counts[20], counts
    assert counts[20] <= 20, counts


def test_supervisor_home_lists_open_flags_and_assessments_due(make_user, make_cohort, assign_supervisor, fhs_tool):
    supervisor, other = make_user("supervisor"), make_user("supervisor")
    flagged, done, waiting, not_mine = (make_user("trainee", full_name=n) for n in ("Flor", "Dora", "Wen", "Nora"))
    cohort = make_cohort(members={"trainee": [flagged, done, waiting, not_mine], "supervisor": [supervisor, other]})
    for trainee in (flagged, done, waiting):
        assign_supervisor(supervisor, trainee, cohort)
    assign_supervisor(other, not_mine, cohort)
    make_assessment(flagged, fhs_tool, assessor=supervisor, cohort=cohort, stage="pre", levels={"FHS-01": 1})
    make_assessment(not_mine, fhs_tool, assessor=other, cohort=cohort, stage="pre", levels={"FHS-02": 1})
    make_assessment(done, fhs_tool, assessor=supervisor, cohort=cohort, stage="post", levels={"FHS-01": 3})
    draft = make_assessment(waiting, fhs_tool, assessor=supervisor, cohort=cohort, stage="post",
                            levels={"FHS-01": 3}, status="draft")

    flags = queries.open_flags_of_supervisees(supervisor)
    assert [(f.trainee.full_name, f.item.code) for f in flags] == [("Flor", "FHS-01")]
    due = queries.assessments_due(supervisor)
    assert [a.id for a in due.drafts] == [draft.id]
    assert [(t.full_name, c.id) for t, c in due.no_post] == [("Flor", cohort.id), ("Wen", cohort.id)]


def test_supervisor_home_page_links_flags_and_due(client, login, make_user, make_cohort, assign_supervisor, fhs_tool):
    supervisor = make_user("supervisor")
    trainee = make_user("trainee", full_name="Flor Gómez")
    cohort = make_cohort(members={"trainee": [trainee], "supervisor": [supervisor]})
    assign_supervisor(supervisor, trainee, cohort)
    make_assessment(trainee, fhs_tool, assessor=supervisor, cohort=cohort, stage="pre", levels={"FHS-01": 1})
    login(supervisor)
    text = client.get("/").get_data(as_text=True)
    assert "Open harm flags" in text and "Flor Gómez" in text and "Non-verbal communication" in text
    assert "Assessments due" in text and "No post-training assessment yet" in text
    assert f"/competencies/people/{trainee.id}/feedback" in text
    assert f"/cohorts/{cohort.id}/competencies" in text
