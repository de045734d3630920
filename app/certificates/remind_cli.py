"""`flask certificates remind` (60, 30 and 7 days before expiry) and `flask certificates auto-issue`."""
from __future__ import annotations

import click
from flask.cli import AppGroup

from app.extensions import db


def register_commands(app) -> None:
    """Add the commands to the shared `certificates` group (created here if no other module made it)."""
    group = app.cli.commands.get("certificates")
    if not isinstance(group, click.Group):
        group = AppGroup("certificates", help="Certificates: issue, verify.")
        app.cli.add_command(group)
    group.add_command(remind_command)
    group.add_command(auto_issue_command)


@click.command("remind")
def remind_command() -> None:
    """Notify holders whose certificate expires in 60, 30 or 7 days (each reminder once); email when configured."""
    from app.certificates.services import send_expiry_reminders
    from app.notifications.services import send_pending_emails

    from app.certificates.jobs import request_like

    with request_like():
        sent = send_expiry_reminders()
        db.session.commit()
        send_pending_emails()
    click.echo(f"{sent} reminder(s) sent.")


@click.command("auto-issue")
def auto_issue_command() -> None:
    """Issue certificates of courses set to issue automatically to every trainee who is now eligible."""
    import sqlalchemy as sa

    from app.certificates.services import finalise_certificate, issue_if_due
    from app.courses.models import CohortCourse
    from app.orgs.models import CohortMember, CohortRole

    from app.certificates.jobs import request_like

    issued = []
    with request_like():
        pairs = db.session.execute(sa.select(CohortMember.user_id, CohortCourse.course_id).join(
            CohortCourse, CohortCourse.cohort_id == CohortMember.cohort_id)
            .where(CohortMember.role == CohortRole.TRAINEE).distinct()).all()
        from app.auth.models import User
        from app.courses.models import Course

        for user_id, course_id in pairs:
            certificate = issue_if_due(db.session.get(User, user_id), db.session.get(Course, course_id))
            if certificate is not None:
                issued.append(certificate)
        db.session.commit()
        for certificate in issued:
            finalise_certificate(certificate)
        db.session.commit()
    click.echo(f"{len(issued)} certificate(s) issued.")
