"""Acompaña: a learning management system for task-sharing in mental health."""
from __future__ import annotations

from typing import Any

from flask import Flask

from app import config as config_module


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints. Wiring only."""
    settings = config_module.from_environment()
    settings.update(overrides or {})
    app = Flask(__name__, instance_path=settings["INSTANCE_PATH"], instance_relative_config=False)
    app.config.update(settings)

    from app.core import errors, i18n, page_cache, security, templating
    from app.extensions import babel, csrf, db, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(config_module.ROOT / "migrations"))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    templating.init_app(app)
    page_cache.init_app(app)

    from app.auth import sessions
    from app.auth.views import bp as auth_bp
    from app.core.views import bp as core_bp
    from app.orgs.views import bp as orgs_bp
    from app.courses.views import bp as courses_bp
    from app.training.views import bp as training_bp

    from app.competencies.views import bp as competencies_bp
    from app.notifications.views import bp as notifications_bp
    from app.quizzes.views import bp as quizzes_bp
    from app.supervision.views import bp as supervision_bp
    from app.practice.views import bp as practice_bp
    from app.certificates.views import bp as certificates_bp
    from app.dashboards.views import bp as dashboards_bp

    sessions.init_app(app)
    app.register_blueprint(core_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(orgs_bp)
    app.register_blueprint(courses_bp)
    app.register_blueprint(training_bp)
    app.register_blueprint(quizzes_bp)
    app.register_blueprint(supervision_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(competencies_bp)
    app.register_blueprint(practice_bp)
    app.register_blueprint(certificates_bp)
    from app.certificates import auto as certificates_auto

    certificates_auto.init_app(app)
    app.register_blueprint(dashboards_bp)
    from app.research.views import bp as research_bp

    app.register_blueprint(research_bp)

    from app import cli

    cli.init_app(app)
    return app
