"""Calibration reports: agreement of several raters with each other and with the reference rating."""
from __future__ import annotations

import re

import pytest

from app.competencies.agreement import Unit, calibrate, weighted_kappa
from tests.competency_support import fhs_tool, make_rating_session  # noqa: F401  (fixture)

REFERENCE = {"FHS-01": 3, "FHS-02": 3, "FHS-03": 2, "FHS-04": 4, "FHS-05": 1, "FHS-06": 2}
CLOSE = dict(REFERENCE)                                                   # agrees on everything
FAR = {"FHS-01": 2, "FHS-02": 2, "FHS-03": 2, "FHS-04": 3, "FHS-05": 1, "FHS-06": None}  # 2 of 5 compared


@pytest.fixture
def calibration(make_user, make_cohort, fhs_tool):
    people = {"ref": make_user("trainer", full_name="Rita Referencia"), "close": make_user("supervisor", full_name="Cora Cerca"),
              "far": make_user("supervisor", full_name="Lalo Lejos"), "trainee": make_user("trainee")}
    cohort = make_cohort(members={"trainer": [people["ref"]], "supervisor": [people["close"], people["far"]],
                                  "trainee": [people["trainee"]]})
    session = make_rating_session(fhs_tool, {people["ref"]: REFERENCE, people["close"]: CLOSE, people["far"]: FAR},
                                  cohort=cohort, reference=people["ref"], title="Role play: landslide mother")
    return {"session": session, "cohort": cohort, "tool": fhs_tool, **people}


def test_calibrate_by_hand():
    units = [Unit(key=code, item=code, reference="A",
                  levels={"A": REFERENCE[code], "B": CLOSE[code], "C": FAR[code]}) for code in REFERENCE]
    report = calibrate(units)
    # Pairs per unit: FHS-01 (3,3,2) 1 of 3 agree; FHS-02 1/3; FHS-03 3/3; FHS-04 1/3; FHS-05 3/3; FHS-06 (2,2,—) 1/1.
    assert report.exact == pytest.approx(10 / 16)
    assert report.within_one == pytest.approx(1.0)
    assert report.kappa is None  # three raters: alpha, not kappa
    assert report.alpha is not None and 0 < report.alpha < 1
    by_rater = {r.rater: r for r in report.against_reference}
    assert set(by_rater) == {"B", "C"}  # the reference is not compared with itself
    assert by_rater["B"].exact == 1.0 and by_rater["B"].kappa == pytest.approx(1.0) and not by_rater["B"].needs_training
    far = by_rater["C"]
    assert far.compared == 5 and far.exact == pytest.approx(2 / 5) and far.needs_training
    assert far.kappa == pytest.approx(weighted_kappa([2, 2, 2, 3, 1], [3, 3, 2, 4, 1]))
    assert not calibrate(units, min_exact=0.3, min_kappa=-1).against_reference[1].needs_training
    items = {i.item: i for i in report.items}
    assert items["FHS-03"].exact == 1.0 and items["FHS-01"].exact == pytest.approx(1 / 3)
    assert items["FHS-01"].alpha is None  # one performance: no per-item coefficient


def test_two_raters_get_a_weighted_kappa():
    units = [Unit(key=i, item=i, reference="A", levels={"A": a, "B": b}) for i, (a, b) in enumerate(
        [(1, 1), (2, 3), (3, 3), (4, 4), (2, 2)])]
    report = calibrate(units)
    assert report.kappa == pytest.approx(weighted_kappa([1, 2, 3, 4, 2], [1, 3, 3, 4, 2]))


def row(page: str, name: str) -> str:
    return re.search(rf"<tr>\s*<th scope=\"row\">{re.escape(name)}</th>.*?</tr>", page, re.S).group(0)


def test_session_report_flags_the_rater_who_needs_retraining(client, login, calibration):
    login(calibration["ref"])
    page = client.get(f"/competencies/calibration/{calibration['session'].id}").get_data(as_text=True)
    assert "Calibration: Role play: landslide mother" in page
    assert "Needs re-training" in row(page, "Lalo Lejos") and "40" in row(page, "Lalo Lejos")
    assert "On target" in row(page, "Cora Cerca")
    assert "Rita Referencia" not in re.findall(r"<th scope=\"row\">([^<]*)</th>", page)  # not compared with herself
    assert "63" in page or "62" in page  # 10 of 16 pairs agree exactly
    assert "Krippendorff" in page and "CC BY-NC-SA 4.0" in page
    relaxed = client.get(f"/competencies/calibration/{calibration['session'].id}?min_exact=30&min_kappa=-1")
    assert "Needs re-training</span>" not in row(relaxed.get_data(as_text=True), "Lalo Lejos")
    assert 'value="30"' in relaxed.get_data(as_text=True)


def test_cohort_calibration_pools_sessions(client, login, calibration):
    w = calibration
    make_rating_session(w["tool"], {w["ref"]: REFERENCE, w["far"]: REFERENCE}, cohort=w["cohort"], reference=w["ref"],
                        title="Second role play")
    login(w["ref"])
    page = client.get(f"/cohorts/{w['cohort'].id}/competencies/calibration").get_data(as_text=True)
    assert "Role play: landslide mother" in page and "Second role play" in page
    # Pooled: Lalo matches the reference on 2 of 5 then 6 of 6 items → 8 of 11 (73 %), still under 80 %.
    assert "73" in row(page, "Lalo Lejos") and "Needs re-training" in row(page, "Lalo Lejos")
    assert "Agreement per item" in page


@pytest.mark.parametrize(("who", "status"), [("ref", 200), ("far", 200), ("admin", 200), ("trainee", 403),
                                             ("outside_supervisor", 403), ("outside_trainer", 403),
                                             ("other_org_admin", 404)])
def test_who_reads_a_session_report(client, login, calibration, make_user, make_org, who, status):
    people = {**calibration, "admin": make_user("admin"), "outside_supervisor": make_user("supervisor"),
              "outside_trainer": make_user("trainer"), "other_org_admin": make_user("admin", organisation=make_org())}
    login(people[who])
    assert client.get(f"/competencies/calibration/{calibration['session'].id}").status_code == status


@pytest.mark.parametrize(("who", "status"), [("ref", 200), ("admin", 200), ("far", 403), ("trainee", 403),
                                             ("other_org_admin", 404)])
def test_who_reads_the_cohort_calibration(client, login, calibration, make_user, make_org, who, status):
    people = {**calibration, "admin": make_user("admin"), "other_org_admin": make_user("admin", organisation=make_org())}
    login(people[who])
    assert client.get(f"/cohorts/{calibration['cohort'].id}/competencies/calibration").status_code == status
