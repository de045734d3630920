"""Organisation administration: users, bulk import, sites, cohorts, supervisor assignments, audit log.

Every handler loads objects through _load() (404 outside the user's organisation), asks a
predicate of app.core.permissions (403), calls a service and commits once.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import SelectChoice

from app.auth.models import User
from app.auth.services import PasswordPolicyError
from app.core.i18n import _, ngettext
from app.core.page_cache import cached_page
from app.core.permissions import (
    authorize,
    can_create_cohort,
    can_issue_reset_code,
    can_issue_reset_codes,
    can_manage_cohort,
    can_manage_sites,
    can_manage_user,
    can_manage_users,
    can_view_audit,
    can_view_cohort,
    is_same_organisation,
    role_required,
)
from app.core.redirects import safe_next
from app.extensions import db
from app.orgs import importing, queries, services
from app.orgs.forms import (
    COHORT_ROLE_LABELS,
    COHORT_STATUS_LABELS,
    ROLE_LABELS,
    AddMembersForm,
    AssignSupervisorForm,
    AuditFilterForm,
    CohortForm,
    FindMembersForm,
    ImportConfirmForm,
    ImportUploadForm,
    ResetCodeForm,
    SiteForm,
    UserCreateForm,
    UserFilterForm,
    UserForm,
    options,
)
from app.orgs.models import Cohort, CohortMember, CohortRole, CohortStatus, ImportStatus, Role, Site, SupervisorAssignment, UserImport

bp = Blueprint("orgs", __name__, template_folder="templates")
T = TypeVar("T")


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"ROLE_LABELS": ROLE_LABELS, "COHORT_ROLE_LABELS": COHORT_ROLE_LABELS,
            "COHORT_STATUS_LABELS": COHORT_STATUS_LABELS, "COHORT_ROLE_ORDER": queries.COHORT_ROLE_ORDER}


def _me() -> User:
    return current_user._get_current_object()


def _load(model: type[T], object_id: int) -> T:
    """The object, if it exists in the acting user's organisation; otherwise 404 (never reveal others)."""
    obj = db.session.get(model, object_id)
    if obj is None or not is_same_organisation(current_user, obj):
        abort(404)
    return obj


def _org_users(ids: list[int]) -> list[User]:
    wanted = set(ids)
    users = list(db.session.scalars(sa.select(User).where(User.id.in_(wanted),
                                                          User.organisation_id == current_user.organisation_id)))
    if len(users) != len(wanted):
        abort(404)
    return users


def _perform(action: Callable[[], Any], success: str) -> bool:
    """Run a service for a one-button POST: commit and confirm, or roll back and say why."""
    try:
        action()
    except services.OrgError as error:
        db.session.rollback()
        flash(error.message, "error")
        return False
    db.session.commit()
    flash(success, "success")
    return True


def _field_error(form: Any, error: services.OrgError) -> None:
    db.session.rollback()
    if error.field and error.field in form:
        form[error.field].errors = [*form[error.field].errors, error.message]
    else:
        flash(error.message, "error")


def _site_choices(include_id: int | None = None) -> list[SelectChoice]:
    sites = queries.active_sites(current_user.organisation_id, include_id)
    return options([(0, _("No site"))] + [(s.id, s.name if s.is_active else _("%(name)s (inactive)", name=s.name))
                                          for s in sites])


def _page() -> int:
    return max(request.args.get("page", 1, type=int) or 1, 1)


def _filter_value(field: Any, empty: Any) -> Any:
    """A GET filter's value, or `empty` when it is missing or not one of the choices."""
    return empty if field.errors or not field.data else field.data


# -- users -----------------------------------------------------------------------------------

@bp.route("/admin/users")
@role_required(Role.ADMIN)
def users():
    authorize(can_manage_users(current_user, current_user.organisation_id))
    form = UserFilterForm(formdata=request.args)
    form.site.choices = options([(0, _("All sites"))] + [
        (s.id, s.name) for s in queries.all_sites(current_user.organisation_id)])
    form.validate()
    filters = queries.UserFilters(q=_filter_value(form.q, ""), role=_filter_value(form.role, ""),
                                   site_id=_filter_value(form.site, 0), status=_filter_value(form.status, ""))
    pagination = queries.search_users(current_user.organisation_id, filters, _page())
    return render_template("orgs/users.html", form=form, pagination=pagination, filtered=filters != queries.UserFilters())


def _user_data(form: UserForm) -> services.UserData:
    return services.UserData(username=form.username.data, full_name=form.full_name.data, email=form.email.data,
                             phone=form.phone.data, site_id=form.site_id.data or None,
                             preferred_language=form.preferred_language.data, roles={Role(r) for r in form.roles.data})


@bp.route("/admin/users/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_new():
    form = UserCreateForm()
    form.site_id.choices = _site_choices()
    if not form.is_submitted():
        form.preferred_language.data = current_user.organisation.default_language
        form.roles.data = [Role.TRAINEE.value]
    if form.validate_on_submit():
        try:
            user = services.create_user(current_user.organisation_id, _user_data(form), password=form.password.data or None)
            code = None if form.password.data else services.issue_reset_code(user, _me())
        except services.OrgError as error:
            _field_error(form, error)
        except PasswordPolicyError as error:
            db.session.rollback()
            form.password.errors = list(error.problems)
        else:
            db.session.commit()
            if code:
                return render_template("orgs/reset_code.html", user=user, code=code, created=True,
                                       back=url_for("orgs.user", user_id=user.id))
            flash(_("The account %(username)s has been created.", username=user.username), "success")
            return redirect(url_for("orgs.user", user_id=user.id))
    return render_template("orgs/user_form.html", form=form, user=None), 422 if form.is_submitted() else 200


@bp.route("/admin/users/<int:user_id>")
@role_required(Role.ADMIN)
def user(user_id: int):
    person = _load(User, user_id)
    authorize(can_manage_user(current_user, person))
    return render_template("orgs/user.html", person=person, relations=queries.user_relations(person),
                           reset_form=ResetCodeForm())


@bp.route("/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_edit(user_id: int):
    person = _load(User, user_id)
    authorize(can_manage_user(current_user, person))
    form = UserForm(obj=person)
    form.site_id.choices = _site_choices(person.site_id)
    if not form.is_submitted():
        form.site_id.data = person.site_id or 0
        form.roles.data = sorted(r.value for r in person.roles)
    if form.validate_on_submit():
        try:
            services.update_user(person, _user_data(form), _me())
        except services.OrgError as error:
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The changes have been saved."), "success")
            return redirect(url_for("orgs.user", user_id=person.id))
    return render_template("orgs/user_form.html", form=form, user=person), 422 if form.is_submitted() else 200


@bp.route("/admin/users/<int:user_id>/deactivate", methods=["POST"])
@role_required(Role.ADMIN)
def user_deactivate(user_id: int):
    person = _load(User, user_id)
    authorize(can_manage_user(current_user, person))
    _perform(lambda: services.deactivate(person, _me()),
             _("%(name)s has been deactivated and signed out everywhere.", name=person.full_name))
    return redirect(url_for("orgs.user", user_id=person.id))


@bp.route("/admin/users/<int:user_id>/reactivate", methods=["POST"])
@role_required(Role.ADMIN)
def user_reactivate(user_id: int):
    person = _load(User, user_id)
    authorize(can_manage_user(current_user, person))
    _perform(lambda: services.reactivate(person), _("%(name)s can sign in again.", name=person.full_name))
    return redirect(url_for("orgs.user", user_id=person.id))


@bp.route("/users/<int:user_id>/reset-code", methods=["POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def user_reset_code(user_id: int):
    """Admins for anyone in the organisation, trainers for their trainees; the code is shown once, here."""
    person = _load(User, user_id)
    authorize(can_issue_reset_code(current_user, person))
    form = ResetCodeForm()
    fallback = url_for("orgs.user", user_id=person.id) if can_manage_user(current_user, person) else url_for("orgs.cohorts")
    back = safe_next(form.next.data or fallback)
    try:
        code = services.issue_reset_code(person, _me())
    except services.OrgError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(back)
    db.session.commit()
    return render_template("orgs/reset_code.html", user=person, code=code, created=False, back=back)


# -- bulk import -----------------------------------------------------------------------------

@bp.route("/admin/users/import", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def user_import():
    authorize(can_manage_users(current_user, current_user.organisation_id))
    form = ImportUploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            batch = importing.start_import(current_user.organisation_id, _me(), upload.filename or "", upload.read())
        except importing.ImportFileError as error:
            db.session.rollback()
            form.file.errors = [error.message]
        else:
            db.session.commit()
            return redirect(url_for("orgs.user_import_preview", import_id=batch.id))
    recent = queries.recent_imports(current_user.organisation_id)
    return render_template("orgs/import_upload.html", form=form, recent=recent), 422 if form.is_submitted() else 200


def _import_page(batch: UserImport, form: ImportConfirmForm, status: int = 200):
    rows = importing.check_rows(batch.organisation_id, batch.rows) if batch.status == ImportStatus.PREVIEWED else batch.rows
    only_problems = request.args.get("show") == "problems"
    return render_template("orgs/import_preview.html", batch=batch, rows=rows, form=form, describe=importing.describe,
                           invalid=sum(1 for r in rows if r["errors"]), only_problems=only_problems), status


@bp.route("/admin/users/import/<int:import_id>")
@role_required(Role.ADMIN)
def user_import_preview(import_id: int):
    batch = _load(UserImport, import_id)
    authorize(can_manage_users(current_user, batch.organisation_id))
    return _import_page(batch, ImportConfirmForm())


@bp.route("/admin/users/import/<int:import_id>/confirm", methods=["POST"])
@role_required(Role.ADMIN)
def user_import_confirm(import_id: int):
    batch = _load(UserImport, import_id)
    authorize(can_manage_users(current_user, batch.organisation_id))
    form = ImportConfirmForm()
    try:
        outcome = importing.confirm_import(batch, _me(), skip_invalid=form.skip_invalid.data)
    except importing.ImportStateError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("orgs.user_import_preview", import_id=batch.id))
    except importing.RowsHaveErrorsError as error:
        db.session.rollback()
        form.skip_invalid.errors = [ngettext(
            "%(num)d row has a problem. Tick this box to import the other rows without it, "
            "or correct the file and upload it again.",
            "%(num)d rows have problems. Tick this box to import the other rows without them, "
            "or correct the file and upload it again.", error.count)]
        return _import_page(batch, form, 422)
    db.session.commit()
    return render_template("orgs/import_result.html", batch=batch, outcome=outcome, describe=importing.describe)


@bp.route("/admin/users/import/<int:import_id>/discard", methods=["POST"])
@role_required(Role.ADMIN)
def user_import_discard(import_id: int):
    batch = _load(UserImport, import_id)
    authorize(can_manage_users(current_user, batch.organisation_id))
    try:
        importing.discard_import(batch)
    except importing.ImportStateError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("orgs.user_import_preview", import_id=batch.id))
    db.session.commit()
    flash(_("The import was discarded. No account was created."), "success")
    return redirect(url_for("orgs.user_import"))


# -- sites -----------------------------------------------------------------------------------

@bp.route("/admin/sites")
@role_required(Role.ADMIN)
def sites():
    authorize(can_manage_sites(current_user, current_user.organisation_id))
    return render_template("orgs/sites.html", sites=queries.list_sites(current_user.organisation_id))


def _site_form(site: Site | None):
    authorize(can_manage_sites(current_user, current_user.organisation_id))
    form = SiteForm(obj=site)
    if form.validate_on_submit():
        try:
            if site is None:
                services.create_site(current_user.organisation_id, form.name.data, form.region.data, form.is_active.data)
            else:
                services.update_site(site, form.name.data, form.region.data, form.is_active.data)
        except services.OrgError as error:
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The site has been saved."), "success")
            return redirect(url_for("orgs.sites"))
    return render_template("orgs/site_form.html", form=form, site=site), 422 if form.is_submitted() else 200


@bp.route("/admin/sites/new", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def site_new():
    return _site_form(None)


@bp.route("/admin/sites/<int:site_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN)
def site_edit(site_id: int):
    return _site_form(_load(Site, site_id))


# -- audit log -------------------------------------------------------------------------------

@bp.route("/admin/audit")
@role_required(Role.ADMIN)
def audit():
    org_id = current_user.organisation_id
    authorize(can_view_audit(current_user, org_id))
    form = AuditFilterForm(formdata=request.args)
    form.action.choices = options([("", _("All actions"))] + [(a, a) for a in queries.audit_actions(org_id)])
    form.validate()
    action, actor = _filter_value(form.action, ""), _filter_value(form.actor, "")
    pagination = queries.audit_page(org_id, action, actor, _page())
    actors, names = queries.audit_context(org_id, pagination.items)
    return render_template("orgs/audit.html", form=form, pagination=pagination, actors=actors, names=names,
                           changes=queries.audit_changes, filtered=bool(action or actor))


# -- cohorts ---------------------------------------------------------------------------------

@bp.route("/cohorts")
@role_required(Role.ADMIN, Role.TRAINER)
def cohorts():
    status = request.args.get("status", "")
    items = queries.list_cohorts(current_user.organisation_id, status)
    return render_template("orgs/cohorts.html", cohorts=items, status=status,
                           counts=queries.member_counts([c.id for c in items]), statuses=list(CohortStatus))


def _cohort_data(form: CohortForm) -> services.CohortData:
    return services.CohortData(name=form.name.data, site_id=form.site_id.data or None, starts_on=form.starts_on.data,
                               ends_on=form.ends_on.data, status=CohortStatus(form.status.data))


def _cohort_form(cohort: Cohort | None):
    form = CohortForm(obj=cohort)
    form.site_id.choices = _site_choices(cohort.site_id if cohort else None)
    if cohort is not None and not form.is_submitted():
        form.site_id.data, form.status.data = cohort.site_id or 0, cohort.status.value
    if form.validate_on_submit():
        try:
            if cohort is None:
                cohort = services.create_cohort(current_user.organisation_id, _cohort_data(form), _me())
            else:
                services.update_cohort(cohort, _cohort_data(form))
        except services.OrgError as error:
            _field_error(form, error)
        else:
            db.session.commit()
            flash(_("The cohort has been saved."), "success")
            return redirect(url_for("orgs.cohort", cohort_id=cohort.id))
    return render_template("orgs/cohort_form.html", form=form, cohort=cohort), 422 if form.is_submitted() else 200


@bp.route("/cohorts/new", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_new():
    authorize(can_create_cohort(current_user, current_user.organisation_id))
    return _cohort_form(None)


@bp.route("/cohorts/<int:cohort_id>/edit", methods=["GET", "POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_edit(cohort_id: int):
    cohort = _load(Cohort, cohort_id)
    authorize(can_manage_cohort(current_user, cohort))
    return _cohort_form(cohort)


def _member_label(user: User) -> str:
    return f"{user.full_name} ({user.username})" + (f" · {user.site.name}" if user.site else "")


def _candidate_label(person: queries.Candidate) -> str:
    return f"{person.full_name} ({person.username})" + (f" · {person.site}" if person.site else "")


@dataclass(frozen=True)
class AddPanel:
    """One "add members" list: the search form, people to tick (listed when searched, or when the cohort
    has no one in this role yet), and whether more people could be added than are listed."""

    find: FindMembersForm
    form: AddMembersForm
    listed: bool
    search: str
    more: bool


CANDIDATES_SHOWN = 20


def _add_panel(cohort: Cohort, role: CohortRole, has_members: bool) -> AddPanel:
    find = FindMembersForm(formdata=request.args, prefix=role.value)
    searched = find.q.name in request.args and find.validate()
    search = (find.q.data or "").strip() if searched else ""
    listed = searched or not has_members
    people, more = queries.member_candidates(cohort, role, search, CANDIDATES_SHOWN if listed else 0)
    form = AddMembersForm(prefix=role.value)
    form.user_ids.choices = options((p.id, _candidate_label(p)) for p in people)
    return AddPanel(find, form, listed, search, more)


def _manageable(members: dict[CohortRole, list[CohortMember]]) -> set[int]:
    """Ids of the members whose user page the acting user may open (asked once per person, not per cell)."""
    me = _me()
    return {m.user_id for people in members.values() for m in people if can_manage_user(me, m.user)}


@bp.route("/cohorts/<int:cohort_id>")
@role_required(Role.ADMIN, Role.TRAINER, Role.SUPERVISOR)
@cached_page
def cohort(cohort_id: int):
    cohort = _load(Cohort, cohort_id)
    authorize(can_view_cohort(current_user, cohort))
    members = queries.cohort_members(cohort)
    context: dict[str, Any] = {"cohort": cohort, "members": members, "manage": can_manage_cohort(current_user, cohort),
                               "assignments": queries.active_assignments(cohort), "reset_form": ResetCodeForm(),
                               "reset_allowed": set(), "manageable": _manageable(members)}
    if context["manage"]:
        context["reset_allowed"] = can_issue_reset_codes(current_user, [m.user for m in members[CohortRole.TRAINEE]])
        context["add_panels"] = {role: _add_panel(cohort, role, bool(members[role])) for role in queries.COHORT_ROLE_ORDER}
        assign = AssignSupervisorForm()
        assign.supervisor_id.choices = options((m.user_id, m.user.full_name) for m in members[CohortRole.SUPERVISOR])
        assign.trainee_ids.choices = options((m.user_id, _member_label(m.user)) for m in members[CohortRole.TRAINEE])
        context["assign_form"] = assign
    return render_template("orgs/cohort.html", **context)


def _managed_cohort(cohort_id: int) -> Cohort:
    cohort = _load(Cohort, cohort_id)
    authorize(can_manage_cohort(current_user, cohort))
    return cohort


def _first_error(form: Any) -> str:
    return next((str(e) for f in form for e in f.errors), _("Please check the form."))


@bp.route("/cohorts/<int:cohort_id>/members/<any(trainee, supervisor, trainer):role>", methods=["POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_add_members(cohort_id: int, role: str):
    cohort = _managed_cohort(cohort_id)
    form = AddMembersForm(prefix=role)
    form.user_ids.validate_choice = False  # the service checks each person's organisation role
    if form.validate_on_submit():
        people = _org_users(form.user_ids.data)
        _perform(lambda: services.add_members(cohort, CohortRole(role), people),
                 ngettext("%(num)d person added to the cohort.", "%(num)d people added to the cohort.", len(people)))
    else:
        flash(_first_error(form), "error")
    search = {f"{role}-q": request.form[f"{role}-q"][:100]} if f"{role}-q" in request.form else {}
    return redirect(url_for("orgs.cohort", cohort_id=cohort.id, **search, _anchor="add-" + role))


@bp.route("/cohorts/<int:cohort_id>/members/<int:member_id>/remove", methods=["POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_remove_member(cohort_id: int, member_id: int):
    cohort = _managed_cohort(cohort_id)
    member = db.session.get(CohortMember, member_id)
    if member is None or member.cohort_id != cohort.id:
        abort(404)
    name = member.user.full_name
    _perform(lambda: services.remove_member(member), _("%(name)s was removed from the cohort.", name=name))
    if not can_view_cohort(current_user, cohort):
        return redirect(url_for("orgs.cohorts"))
    return redirect(url_for("orgs.cohort", cohort_id=cohort.id))


@bp.route("/cohorts/<int:cohort_id>/assignments", methods=["POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_assign(cohort_id: int):
    cohort = _managed_cohort(cohort_id)
    form = AssignSupervisorForm()
    form.supervisor_id.validate_choice = form.trainee_ids.validate_choice = False  # the service checks membership
    if form.validate_on_submit():
        supervisor = _load(User, form.supervisor_id.data)
        trainees = _org_users(form.trainee_ids.data)
        _perform(lambda: services.assign_supervisor(cohort, supervisor, trainees),
                 _("%(name)s now supervises the chosen trainees.", name=supervisor.full_name))
    else:
        flash(_first_error(form), "error")
    return redirect(url_for("orgs.cohort", cohort_id=cohort.id, _anchor="supervision"))


@bp.route("/cohorts/<int:cohort_id>/assignments/<int:assignment_id>/end", methods=["POST"])
@role_required(Role.ADMIN, Role.TRAINER)
def cohort_end_assignment(cohort_id: int, assignment_id: int):
    cohort = _managed_cohort(cohort_id)
    assignment = db.session.get(SupervisorAssignment, assignment_id)
    if assignment is None or assignment.cohort_id != cohort.id:
        abort(404)
    _perform(lambda: services.end_assignment(assignment), _("The supervision has ended."))
    return redirect(url_for("orgs.cohort", cohort_id=cohort.id, _anchor="supervision"))
