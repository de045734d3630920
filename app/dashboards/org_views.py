"""The organisation dashboard: its page, a CSV per chart, the printable report and "Refresh now"."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_time, format_timedelta, get_locale
from flask_login import current_user, login_required

from app.core import audit
from app.core.db import utcnow, write_lock
from app.core.i18n import _, format_datetime
from app.core.page_cache import cached_page
from app.core.permissions import (
    authorize,
    can_refresh_org_dashboard,
    can_view_org_dashboard,
)
from app.dashboards import (
    cli,  # noqa: F401  (flask dashboards refresh)
    facts,
    org_charts,
    organisation,
)
from app.dashboards.blueprint import bp
from app.dashboards.charts import csv_download, format_value
from app.dashboards.models import DashboardSnapshot
from app.dashboards.org_forms import FILTER_NAMES, OrgDashboardFilterForm, RefreshForm
from app.extensions import db
from app.supervision.queries import local, local_today


def _organisation_id() -> int:
    """Everyone sees their own organisation's dashboard, and only that one."""
    organisation_id = current_user.organisation_id
    authorize(can_view_org_dashboard(current_user, organisation_id))
    return organisation_id


def _filter_form(organisation_id: int) -> tuple[OrgDashboardFilterForm, organisation.Options]:
    options = organisation.options(organisation_id, str(get_locale()))
    return OrgDashboardFilterForm(request.args, options, local_today()), options


def _fresh_snapshot(organisation_id: int) -> DashboardSnapshot:
    """The figures' snapshot: computed now the first time; when stale, rebuilt in the background."""
    snapshot = facts.snapshot_of(organisation_id)
    if snapshot is None or snapshot.refreshed_at is None or (
            facts.refresh_mode() == "inline" and facts.is_stale(snapshot)):
        db.session.commit()  # end the read: the refresh takes SQLite's write lock up front
        with write_lock():
            snapshot = facts.refresh(organisation_id, force=False)
            db.session.commit()
    elif facts.is_stale(snapshot):
        facts.start_background_refresh(organisation_id)
    return snapshot


def freshness(snapshot: DashboardSnapshot, now: datetime) -> str:
    """"Figures as of 14:05, 12 minutes ago." in the reader's language and the organisation's time zone."""
    moment = snapshot.refreshed_at
    when = format_time(moment, "short") if local(moment).date() == local(now).date() else format_datetime(moment, "short")
    age = now - moment
    if age < timedelta(minutes=1):
        return _("Figures as of %(time)s, less than a minute ago.", time=when)
    return _("Figures as of %(time)s, %(ago)s.", time=when,
             ago=format_timedelta(-age, granularity="minute", add_direction=True))


def printed_freshness(snapshot: DashboardSnapshot) -> str:
    """On paper "12 minutes ago" means nothing: the report gives the date and time of its figures."""
    return _("Figures as of %(time)s.", time=format_datetime(snapshot.refreshed_at, "medium"))


def _figures(organisation_id: int):
    """(form, options, snapshot, figures); figures is None when the filters are not valid."""
    form, options = _filter_form(organisation_id)
    if not form.validate():
        return form, options, None, None
    snapshot = _fresh_snapshot(organisation_id)
    return form, options, snapshot, org_charts.figures_of(snapshot, form.filters(organisation_id))


def _charts(snapshot: DashboardSnapshot, figures: organisation.Figures, options: organisation.Options) -> dict:
    return org_charts.rendered_charts(snapshot, figures, dict(options.sites), str(get_locale()))


def _is_refreshing(snapshot: DashboardSnapshot, now: datetime) -> bool:
    """A refresh is running, or this page view just started one."""
    return snapshot.refresh_started_at is not None or (facts.refresh_mode() == "thread"
                                                        and facts.is_stale(snapshot, now))


@bp.get("/organisation")
@login_required
@cached_page
def organisation_dashboard():
    organisation_id = _organisation_id()
    form, options, snapshot, figures = _figures(organisation_id)
    if figures is None:
        return render_template("dashboards/organisation.html", form=form, figures=None), 422
    now, query = utcnow(), form.query_args()
    figures_html = org_charts.figures_html(snapshot, figures, query, str(get_locale()), lambda: render_template(
        "dashboards/_organisation_figures.html", key_figures=org_charts.key_figures(figures), query=query,
        charts=_charts(snapshot, figures, options), format_value=format_value, definitions=org_charts.definitions()))
    return render_template(
        "dashboards/organisation.html", form=form, figures=figures, query=query, figures_html=figures_html,
        freshness=freshness(snapshot, now), refreshing=_is_refreshing(snapshot, now),
        refresh_form=RefreshForm() if can_refresh_org_dashboard(current_user, organisation_id) else None)


@bp.get("/organisation/<org_chart>.csv")
@login_required
def organisation_csv(org_chart: str):
    organisation_id = _organisation_id()
    form, options, _snapshot, figures = _figures(organisation_id)
    if figures is None:
        return _bad_filters(form)
    chart = org_charts.chart_by_slug(figures, dict(options.sites), org_chart) or abort(404)
    filters = figures.filters
    return csv_download(chart, f"{current_user.organisation.slug}-{chart.slug}-"
                               f"{filters.month_from:%Y-%m}-{filters.month_to:%Y-%m}.csv")


@bp.get("/organisation/report.pdf")
@login_required
def organisation_report():
    organisation_id = _organisation_id()
    form, options, snapshot, figures = _figures(organisation_id)
    if figures is None:
        return _bad_filters(form)
    from app.dashboards.pdf import render_report_pdf

    name = current_user.organisation.name
    pdf = org_charts.report_pdf(snapshot, figures, str(get_locale()), name, lambda: render_report_pdf(
        "dashboards/organisation_report.html", organisation_name=name,
        filters=form.described(options), figures=figures, key_figures=org_charts.key_figures(figures),
        charts=_charts(snapshot, figures, options), format_value=format_value, definitions=org_charts.definitions(),
        freshness=printed_freshness(snapshot)))
    filters = figures.filters
    response = Response(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{current_user.organisation.slug}-report-'
        f'{filters.month_from:%Y-%m}-{filters.month_to:%Y-%m}.pdf"')
    response.headers["Cache-Control"] = "no-store"
    return response


def _bad_filters(form: OrgDashboardFilterForm) -> Response:
    problems = [f"{form[name].label.text}: {' '.join(form[name].errors)}" for name in FILTER_NAMES
                if form[name].errors]
    text = _("These filters cannot be used.") + "\n" + "\n".join(problems)
    return Response(text, status=400, mimetype="text/plain")


@bp.post("/organisation/refresh")
@login_required
def organisation_refresh():
    organisation_id = current_user.organisation_id
    authorize(can_refresh_org_dashboard(current_user, organisation_id))
    if not RefreshForm().validate_on_submit():
        abort(400)
    snapshot = facts.refresh(organisation_id)
    audit.record("dashboard.refresh", snapshot, organisation_id=organisation_id,
                 after={"refreshed_at": snapshot.refreshed_at.isoformat(), "duration_ms": snapshot.duration_ms})
    db.session.commit()
    flash(_("The figures were refreshed."), "success")
    query = {name: request.form[name] for name in FILTER_NAMES if request.form.get(name)}
    return redirect(url_for("dashboards.organisation_dashboard", **query))
