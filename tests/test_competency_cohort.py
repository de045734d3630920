"""The cohort's heat map, group progress and CSV export: what the trainers, admins and supervisors see."""
from __future__ import annotations

import csv
import io
import re

import pytest

from app.competencies import queries
from tests.competency_support import fhs_tool, make_assessment  # noqa: F401  (fixture)


@pytest.fixture
def cohort_world(make_user, make_cohort, assign_supervisor, fhs_tool):
    """Three trainees: Ana and Beto supervised by `supervisor`, Carla by `other_supervisor`."""
    trainees = [make_user("trainee", full_name=name) for name in ("Ana Uno", "Beto Dos", "Carla Tres")]
    supervisor, other_supervisor, trainer = make_user("supervisor"), make_user("supervisor"), make_user("trainer")
    cohort = make_cohort(members={"trainee": trainees, "supervisor": [supervisor, other_supervisor],
                                  "trainer": [trainer]})
    for trainee in trainees[:2]:
        assign_supervisor(supervisor, trainee, cohort)
    assign_supervisor(other_supervisor, trainees[2], cohort)
    ana, beto, carla = trainees
    tool = fhs_tool
    rate = lambda who, stage, levels, **kw: make_assessment(who, tool, assessor=supervisor, cohort=cohort,  # noqa: E731
                                                            stage=stage, levels=levels, **kw)
    rate(ana, "pre", {"FHS-01": 4, "FHS-02": 4})                       # replaced by her later pre rating
    rate(ana, "pre", {"FHS-01": 1, "FHS-02": None, "FHS-03": 3})
    rate(beto, "pre", {"FHS-01": 2, "FHS-02": 2, "FHS-03": 2})
    rate(carla, "pre", {"FHS-01": 2, "FHS-02": 3, "FHS-03": 4}, notes={"FHS-01": "=HYPERLINK(\"http://x\")"})
    rate(ana, "post", {"FHS-01": 3, "FHS-02": 3, "FHS-03": 4})
    rate(beto, "post", {"FHS-01": 3, "FHS-02": 4, "FHS-03": 4})
    superseded = rate(carla, "post", {"FHS-01": 1, "FHS-02": 1, "FHS-03": 1}, flag=False)
    from app.core.db import utcnow

    superseded.superseded_at = utcnow()
    amended = rate(carla, "post", {"FHS-01": 4, "FHS-02": 3, "FHS-03": 3})
    amended.amends_id = superseded.id
    from app.extensions import db

    db.session.flush()
    return {"cohort": cohort, "tool": tool, "ana": ana, "beto": beto, "carla": carla, "supervisor": supervisor,
            "other_supervisor": other_supervisor, "trainer": trainer}


def cells(page: str, name: str) -> list[str]:
    """The visible text of each cell in a trainee's heat-map row (screen-reader text dropped)."""
    row = re.search(rf"<tr>\s*<th scope=\"row\"><a [^>]*>{re.escape(name)}</a>.*?</tr>", page, re.S).group(0)
    found = []
    for cell in re.findall(r"<td class=\"heat[^\"]*\">(.*?)</td>", row, re.S):
        flagged = "flag-mark" in cell
        text = re.sub(r"<span class=\"visually-hidden\">.*?</span>|<[^>]+>", "", cell).replace("!", "").strip()
        found.append(text + ("!" if flagged else ""))
    return found


def test_heat_map_shows_latest_levels_flags_and_not_observed(client, login, cohort_world):
    w = cohort_world
    login(w["trainer"])
    page = client.get(f"/cohorts/{w['cohort'].id}/competencies?tool=foundational-helping-skills&stage=pre")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Skills heat map: " in text and "Foundational helping skills · Before training" in text
    # Ana's later pre rating replaced the first; her level 1 raised an open harm flag; FHS-02 not observed.
    assert cells(text, "Ana Uno")[:4] == ["1!", "—", "3", ""]
    assert cells(text, "Beto Dos")[:3] == ["2", "2", "2"]
    assert cells(text, "Carla Tres")[:3] == ["2", "3", "4"]
    assert 'class="heat heat-1"' in text and "Open harm flag" in text and "Not observed" in text
    assert len(cells(text, "Ana Uno")) == 15  # every item of the tool is a column


def test_heat_map_post_round_uses_the_amendment(client, login, cohort_world):
    w = cohort_world
    login(w["trainer"])
    text = client.get(f"/cohorts/{w['cohort'].id}/competencies?stage=post").get_data(as_text=True)
    assert "After training" in text
    assert cells(text, "Carla Tres")[:3] == ["4", "3", "3"]
    assert cells(text, "Ana Uno")[:3] == ["3!", "3", "4"]  # the pre-training flag is still open


def test_supervisor_sees_only_their_supervisees(client, login, cohort_world):
    w = cohort_world
    login(w["supervisor"])
    text = client.get(f"/cohorts/{w['cohort'].id}/competencies?stage=pre").get_data(as_text=True)
    assert "You see only the trainees you supervise." in text
    assert "Ana Uno" in text and "Beto Dos" in text and "Carla Tres" not in text
    progress = client.get(f"/cohorts/{w['cohort'].id}/competencies/progress").get_data(as_text=True)
    assert "Carla Tres" not in progress and "(2 trainees)" in progress
    export = client.get(f"/cohorts/{w['cohort'].id}/competencies/export.csv").get_data(as_text=True)
    assert "Ana Uno" in export and "Carla Tres" not in export


def test_group_progress_counts(cohort_world):
    w = cohort_world
    scope = queries.trainee_scope(w["trainer"], w["cohort"])
    progress = queries.group_progress(w["cohort"], w["tool"], scope)
    assert progress.stages == ["pre", "post"] and progress.assessed == {"pre": 3, "post": 3}
    fhs01, fhs02 = progress.items[0], progress.items[1]
    assert progress.cell(fhs01, "pre").counts == {1: 1, 2: 2}
    assert progress.cell(fhs01, "post").counts == {3: 2, 4: 1}
    assert progress.cell(fhs02, "pre").counts == {None: 1, 2: 1, 3: 1}
    assert progress.cell(fhs02, "pre").share(None) == pytest.approx(1 / 3)
    assert progress.cell(progress.items[5], "pre").total == 0


def test_group_progress_page_puts_rounds_side_by_side(client, login, cohort_world):
    w = cohort_world
    login(w["trainer"])
    text = client.get(f"/cohorts/{w['cohort'].id}/competencies/progress").get_data(as_text=True)
    assert text.index("Before training") < text.index("After training")
    row = re.search(r"<th scope=\"row\">FHS-01 .*?</tr>", text, re.S).group(0)
    counts = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td class=\"count[^\"]*\">(.*?)</td>", row, re.S)]
    # pre: L1 1 (33 %), L2 2 (67 %), L3 0, L4 0, — 0; post: L3 2 (67 %), L4 1 (33 %)
    assert [c[0] for c in counts] == ["1", "2", "0", "0", "0", "0", "0", "2", "1", "0"]
    assert re.sub(r"\s", "", "".join(counts[0][1:])) == "33%" and re.sub(r"\s", "", "".join(counts[1][1:])) == "67%"


def test_csv_has_one_row_per_assessment_and_item(client, login, cohort_world):
    w = cohort_world
    login(w["trainer"])
    response = client.get(f"/cohorts/{w['cohort'].id}/competencies/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    # 7 counted assessments: the replaced pre rating (2 items) counts in the export, the superseded post does not.
    assert len(rows) == 2 + 6 * 3
    assert {r["stage"] for r in rows} == {"pre", "post"}
    carla_pre_01 = next(r for r in rows if r["trainee"] == "Carla Tres" and r["stage"] == "pre"
                        and r["item_code"] == "FHS-01")
    assert carla_pre_01["note"].startswith("'=HYPERLINK")  # neutralised
    assert carla_pre_01["level"] == "2" and carla_pre_01["not_observed"] == "no"
    assert carla_pre_01["behaviour_codes"] == "FHS-01-B1" and "[basic] Sits at a comfortable distance" in \
        carla_pre_01["behaviours"]
    assert carla_pre_01["method"] == "role_play" and carla_pre_01["assessor"] == w["supervisor"].full_name
    ana_not_observed = [r for r in rows if r["trainee"] == "Ana Uno" and r["not_observed"] == "yes"]
    assert len(ana_not_observed) == 1 and ana_not_observed[0]["level"] == ""
    carla_post = [r for r in rows if r["trainee"] == "Carla Tres" and r["stage"] == "post"]
    assert {r["level"] for r in carla_post} == {"4", "3"} and all(r["amends_assessment_id"] for r in carla_post)


@pytest.mark.parametrize(("who", "status"), [("trainer", 200), ("supervisor", 200), ("admin", 200),
                                             ("trainee", 403), ("outside_trainer", 403), ("other_org_admin", 404)])
@pytest.mark.parametrize("path", ["", "/progress", "/export.csv"])
def test_who_sees_cohort_reports(client, login, cohort_world, make_user, make_org, who, status, path):
    people = {**cohort_world, "admin": make_user("admin"), "trainee": cohort_world["ana"],
              "outside_trainer": make_user("trainer"), "other_org_admin": make_user("admin", organisation=make_org())}
    login(people[who])
    assert client.get(f"/cohorts/{cohort_world['cohort'].id}/competencies{path}").status_code == status


def test_empty_cohort(client, login, make_user, make_cohort, fhs_tool):
    trainer = make_user("trainer")
    cohort = make_cohort(members={"trainer": [trainer]})
    login(trainer)
    text = client.get(f"/cohorts/{cohort.id}/competencies").get_data(as_text=True)
    assert "There are no trainees to show." in text
    text = client.get(f"/cohorts/{cohort.id}/competencies/progress").get_data(as_text=True)
    assert "No one in this cohort has been rated with this tool yet." in text
