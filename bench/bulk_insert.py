"""Fast inserts for the data generator: rows buffered per table, written in batches in the session's transaction.

The column types still do their work (enums to strings, aware datetimes to UTC, booleans for
SQLite): each value goes through the column's own bind processor. JSON is written as text.
SQLite gets one ``executemany`` per batch; PostgreSQL gets ``COPY ... FROM STDIN``, several times
faster than INSERTs. Ids are given here (max(id) + 1 onwards), so children can name their parents
before anything is written; PostgreSQL's sequences are moved past them at the end.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

BATCH = 5_000


class RawJSON(str):
    """A JSON document already serialised (a snapshot shared by many rows is dumped once)."""


@dataclass
class _Buffer:
    table: sa.Table
    columns: list[str]
    processors: list[Any]
    is_json: list[bool]
    rows: list[tuple] = field(default_factory=list)
    written: int = 0
    seconds: float = 0.0
    next_id: int = 1


class BulkWriter:
    """``add(Model, id=..., ...)`` appends a row; rows are written when a batch fills, parents first."""

    def __init__(self, session: Session, batch: int = BATCH) -> None:
        session.flush()
        self.session = session
        self.connection = session.connection()
        self.dialect = self.connection.dialect
        self.is_postgresql = self.dialect.name == "postgresql"
        self.batch = batch
        self._buffers: dict[str, _Buffer] = {}
        self._order: list[_Buffer] = []

    def table(self, model: Any, columns: list[str]) -> None:
        """Declare a table and the columns every row of it gives; declare parents before children."""
        table: sa.Table = model.__table__
        if table.name in self._buffers:
            return
        processors, is_json = [], []
        for name in columns:
            column_type = table.c[name].type
            is_json.append(isinstance(column_type, sa.JSON))
            processors.append(None if is_json[-1] else column_type._cached_bind_processor(self.dialect))
        top = self.connection.execute(sa.select(sa.func.max(table.c.id))).scalar() if "id" in table.c else None
        buffer = _Buffer(table, columns, processors, is_json, next_id=(top or 0) + 1)
        self._buffers[table.name] = buffer
        self._order.append(buffer)

    def ids(self, model: Any, count: int) -> range:
        """Reserve ``count`` ids of this table."""
        buffer = self._buffers[model.__tablename__]
        start = buffer.next_id
        buffer.next_id += count
        return range(start, start + count)

    def new_id(self, model: Any) -> int:
        return self.ids(model, 1)[0]

    def add(self, model: Any, **values: Any) -> None:
        buffer = self._buffers[model.__tablename__]
        row = []
        for name, process, as_json in zip(buffer.columns, buffer.processors, buffer.is_json):
            value = values[name]
            if value is not None:
                if as_json:
                    value = value if isinstance(value, RawJSON) else json.dumps(value)
                elif process is not None:
                    value = process(value)
            row.append(value)
        buffer.rows.append(tuple(row))
        if len(buffer.rows) >= self.batch:
            self.flush(model)

    def flush(self, model: Any | None = None) -> None:
        """Write this table's rows, after those of every table declared before it (its parents)."""
        last = self._order.index(self._buffers[model.__tablename__]) if model is not None else len(self._order) - 1
        for buffer in self._order[: last + 1]:
            if buffer.rows:
                self._write(buffer)

    def commit(self) -> None:
        """Write everything and commit (the command does, between phases: SQLite's WAL stays small)."""
        self.flush()
        self.session.commit()
        self.connection = self.session.connection()

    def _write(self, buffer: _Buffer) -> None:
        started = time.perf_counter()
        rows, buffer.rows = buffer.rows, []
        names = ", ".join(self.dialect.identifier_preparer.quote(c) for c in buffer.columns)
        quoted = self.dialect.identifier_preparer.format_table(buffer.table)
        if self.is_postgresql:
            cursor = self.connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY {quoted} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.close()
        else:
            marks = ", ".join("?" for _ in buffer.columns)
            self.connection.exec_driver_sql(f"INSERT INTO {quoted} ({names}) VALUES ({marks})", rows)
        buffer.written += len(rows)
        buffer.seconds += time.perf_counter() - started

    def finish(self) -> dict[str, dict[str, float]]:
        """Write what is left, move PostgreSQL's sequences past the given ids; rows and seconds per table."""
        self.flush()
        if self.is_postgresql:
            for buffer in self._order:
                if "id" in buffer.table.c and buffer.written:
                    name = buffer.table.name
                    # Never move a sequence backwards: another transaction may already have used its values.
                    self.connection.exec_driver_sql(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), GREATEST("
                        f"(SELECT max(id) FROM {name}), "
                        f"(SELECT last_value FROM {self._sequence(name)})))")
        return {b.table.name: {"rows": b.written, "seconds": round(b.seconds, 2)} for b in self._order if b.written}

    def _sequence(self, table_name: str) -> str:
        return self.connection.exec_driver_sql(f"SELECT pg_get_serial_sequence('{table_name}', 'id')").scalar()
