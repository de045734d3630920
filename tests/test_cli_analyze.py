"""`flask analyze` refreshes the planner's statistics (here on a database of its own)."""
from __future__ import annotations

import sqlalchemy as sa


def test_analyze_writes_sqlite_statistics(tmp_path):
    from app import create_app
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'a.db'}", "INSTANCE_PATH": str(tmp_path)})
    with app.app_context():
        db.create_all()
        result = app.test_cli_runner().invoke(args=["analyze"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("Statistics refreshed in ")
        tables = db.session.scalars(sa.text("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")).all()
        assert tables == ["sqlite_stat1"]
        db.session.remove()
        db.engine.dispose()
