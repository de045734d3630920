"""The yardsticks, served the same way as Acompaña, so page figures read as ratios.

``/`` is the smallest Flask app ("Hello, World!"). ``/table50`` is the smallest honest page: it opens
a SQLite database (a connection per request, as the Flask tutorial does), reads 50 rows and renders
them into an HTML table with a cached Jinja template. An ordinary Acompaña page should reach at
least half its throughput.
"""
from __future__ import annotations

import os
import random
import sqlite3
import tempfile
from pathlib import Path

from flask import Flask, g, render_template
from jinja2 import DictLoader

app = Flask(__name__)
DATABASE = Path(os.environ.get("REFERENCE_TABLE_DB") or Path(tempfile.gettempdir()) / "acompana-reference-table50.db")
TABLE50 = """<!doctype html>
<html lang="es">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>50 personas</title></head>
<body>
<main>
<h1>50 personas</h1>
<table>
  <thead><tr><th scope="col">Nombre</th><th scope="col">Sitio</th><th scope="col">Grupo</th>
    <th scope="col">Lecciones</th><th scope="col">Puntaje</th></tr></thead>
  <tbody>
  {% for row in rows %}
  <tr><td>{{ row.name }}</td><td>{{ row.site }}</td><td>{{ row.cohort }}</td><td>{{ row.lessons }}</td>
    <td>{{ "%.1f"|format(row.score) }} %</td></tr>
  {% endfor %}
  </tbody>
</table>
</main>
</body>
</html>
"""
app.jinja_loader = DictLoader({"table50.html": TABLE50})


def build_database(path: Path = DATABASE, rows: int = 5_000) -> None:
    """A table of people to read from (made once; each worker finds it there)."""
    if path.exists():
        return
    rng = random.Random(50)
    partial = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    with sqlite3.connect(partial) as connection:
        connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT, site TEXT, cohort TEXT, "
                           "lessons INTEGER, score REAL)")
        connection.executemany(
            "INSERT INTO people (name, site, cohort, lessons, score) VALUES (?, ?, ?, ?, ?)",
            [(f"Persona {n}", f"Centro de Salud {n % 40}", f"PM+ {n % 200}", rng.randint(0, 13),
              rng.uniform(30, 100)) for n in range(rows)])
    try:
        os.link(partial, path)  # several workers may build it at once: one wins, all read the same file
    except FileExistsError:
        pass
    finally:
        partial.unlink(missing_ok=True)


build_database()


@app.route("/")
def hello() -> str:
    return "Hello, World!"


@app.route("/table50")
def table50() -> str:
    g.db = sqlite3.connect(DATABASE)
    g.db.row_factory = sqlite3.Row
    rows = g.db.execute("SELECT name, site, cohort, lessons, score FROM people ORDER BY id LIMIT 50").fetchall()
    return render_template("table50.html", rows=rows)


@app.teardown_appcontext
def close_database(_error: BaseException | None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()
