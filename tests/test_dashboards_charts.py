"""The dashboards' SVG charts: well-formed, titled and described, the table and the CSV hold the same figures."""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from app.dashboards.charts import Chart, Series, csv_download, render_svg, table

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def english(app):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        yield


def parse(chart: Chart) -> ET.Element:
    svg = str(render_svg(chart)).replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return ET.fromstring(svg)


def csv_rows(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def texts(root: ET.Element, cls: str) -> list[str]:
    return ["".join(t.itertext()) if t.find(f"{SVG}title") is None else (t.text or "") + (t.find(f"{SVG}title").tail or "")
            for t in root.iter(f"{SVG}text") if cls in t.get("class", "").split()]


ATTENDANCE = Chart("attendance", "Attendance per training day", "Mean attendance: 73.3%.",
                   ["12 May", "13 May", "14 May"], [Series("Present", [80.0, None, 66.66666])], unit="%",
                   category_header="Training day")


@pytest.mark.parametrize("kind", ["bar", "stacked", "line", "funnel"])
def test_every_kind_is_well_formed_titled_and_described(english, kind):
    chart = Chart(f"c-{kind}", "Levels per round", "Most ratings are at level 3 after training.",
                  ["Before training", "After training"],
                  [Series("Level 2", [9, 1]), Series("Level 3", [1, 12]), Series("Level 4", [0, 4])], kind=kind)
    root = parse(chart)
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == f"chart-c-{kind}-title chart-c-{kind}-desc"
    assert root.find(f"{SVG}title").text == "Levels per round"
    assert root.find(f"{SVG}title").get("id") == f"chart-c-{kind}-title"
    assert root.find(f"{SVG}desc").text == "Most ratings are at level 3 after training."
    assert root.get("viewBox", "").startswith("0 0 ")
    assert "style" not in str(render_svg(chart))  # strict CSP: no style attributes
    if kind != "funnel":
        assert texts(root, "chart-legend") == ["Level 2", "Level 3", "Level 4"]  # several series: a legend


def test_bar_values_and_gaps(english):
    root = parse(ATTENDANCE)
    assert texts(root, "chart-label") == ["12 May", "13 May", "14 May"]
    assert texts(root, "chart-value") == ["80%", "66.7%"]  # no bar and no label for the day without a value
    assert len([r for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class", "")]) == 2
    assert texts(root, "chart-axis") == ["0%", "25%", "50%", "75%", "100%"]


def test_line_leaves_a_gap_for_a_missing_value(english):
    chart = Chart("trend", "Hours", "d", ["Jan", "Feb", "Mar", "Apr", "May"],
                  [Series("Hours", [1.5, 2.0, None, 3.0, 4.0])], kind="line", unit="h")
    root = parse(chart)
    lines = [p.get("points").split() for p in root.iter(f"{SVG}polyline")]
    assert [len(points) for points in lines] == [2, 2]
    assert texts(root, "chart-value") == ["1.5 h", "2 h", "3 h", "4 h"]


def test_funnel_shows_the_share_of_the_first_step(english):
    chart = Chart("funnel", "Funnel", "d", ["Enrolled", "Finished every lesson", "Certified"],
                  [Series("Trainees", [6, 4, 3])], kind="funnel", category_header="Step")
    root = parse(chart)
    assert texts(root, "chart-value") == ["6", "4 (66.7%)", "3 (50%)"]
    header, rows = table(chart)
    assert header == ["Step", "Trainees", "Share of “Enrolled”"]
    assert rows == [["Enrolled", "6", "100%"], ["Finished every lesson", "4", "66.7%"], ["Certified", "3", "50%"]]
    assert csv_rows(csv_download(chart, "funnel.csv")) == [
        ["Step", "Trainees", "Share of “Enrolled”"], ["Enrolled", "6", "100"], ["Finished every lesson", "4", "66.7"],
        ["Certified", "3", "50"]]


def test_table_and_csv_hold_the_chart_figures(english):
    header, rows = table(ATTENDANCE)
    assert header == ["Training day", "Present"]
    assert rows == [["12 May", "80%"], ["13 May", "—"], ["14 May", "66.7%"]]
    response = csv_download(ATTENDANCE, "attendance.csv")
    assert response.mimetype == "text/csv"
    assert 'filename="attendance.csv"' in response.headers["Content-Disposition"]
    assert csv_rows(response) == [["Training day", "Present"], ["12 May", "80"], ["13 May", ""], ["14 May", "66.6667"]]


def test_stacked_bar_heights_add_up(english):
    chart = Chart("levels", "Levels", "d", ["Pre"], [Series("Level 1", [1]), Series("Level 2", [3])], kind="stacked")
    root = parse(chart)
    bars = [r for r in root.iter(f"{SVG}rect") if "chart-bar" in r.get("class", "")]
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] == pytest.approx(3 * heights[0])
    tooltips = [b.find(f"{SVG}title").text for b in bars]
    assert tooltips == ["Level 1, Pre: 1", "Level 2, Pre: 3"]


def test_long_labels_are_cut_in_the_svg_but_whole_in_the_title_and_table(english):
    long = "Supervised in the last thirty days by their own supervisor"
    chart = Chart("long", "Long", "d", [long, "Short"], [Series("Trainees", [5, 2])])
    root = parse(chart)
    label = next(t for t in root.iter(f"{SVG}text") if t.find(f"{SVG}title") is not None)
    assert label.find(f"{SVG}title").text == long
    shown = label.find(f"{SVG}title").tail
    assert shown.endswith("…") and len(shown) < len(long)
    assert table(chart)[1][0][0] == long


def test_empty_chart_says_so(english):
    for chart in (Chart("empty", "Nothing", "d", [], []),
                  Chart("none", "Only gaps", "d", ["A", "B"], [Series("S", [None, None])])):
        assert str(render_svg(chart)) == '<p class="chart-empty">No data yet.</p>'
    assert table(Chart("empty", "Nothing", "d", [], [], category_header="Day")) == (["Day"], [])


def test_text_is_escaped(english):
    chart = Chart("esc", "<script>", "a & b", ["<b>x</b>"], [Series("s<", [1])])
    svg = str(render_svg(chart))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&lt;b&gt;x&lt;/b&gt;" in svg
    parse(chart)


def test_spanish_numbers(app):
    with app.test_request_context(headers={"Accept-Language": "es"}):
        assert table(ATTENDANCE)[1][2] == ["14 May", "66,7%"]


def test_chart_block_has_a_heading_a_table_view_and_a_csv_link(english):
    from flask import render_template_string

    html = render_template_string('{% from "dashboards/_chart.html" import chart_block %}'
                                  '{{ chart_block(chart, "/x/attendance.csv") }}', chart=ATTENDANCE)
    assert '<h3 id="chart-attendance-heading">Attendance per training day</h3>' in html
    assert "<summary>Show as table" in html and "<caption>Attendance per training day</caption>" in html
    assert '<th scope="col">Training day</th>' in html and '<th scope="row">13 May</th>' in html
    assert '<a href="/x/attendance.csv">Download CSV' in html
    empty = render_template_string('{% from "dashboards/_chart.html" import chart_block %}'
                                   '{{ chart_block(chart, "/e.csv") }}', chart=Chart("e", "Empty", "d", [], []))
    assert "No data yet." in empty and "<details" not in empty
