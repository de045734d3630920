"""The export as a download: written to a private temporary file, streamed, then deleted."""
from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from flask import Response, current_app

from app.orgs.models import Organisation
from app.research.export import ExportSummary, write_export

CHUNK = 256 * 1024
STALE_SECONDS = 24 * 3600  # a file left behind by a download that never finished


def exports_dir() -> Path:
    path = Path(current_app.instance_path) / "tmp" / "research"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _remove_stale(folder: Path) -> None:
    limit = time.time() - STALE_SECONDS
    for old in folder.glob("*.zip"):
        try:
            if old.stat().st_mtime < limit:
                old.unlink()
        except FileNotFoundError:
            pass  # another worker removed it


def make_export_file(organisation: Organisation, *, identified: bool,
                     key: bytes | None = None) -> tuple[Path, ExportSummary]:
    """Write the export to a new temporary file (mode 0600) and return its path; the caller sends it."""
    folder = exports_dir()
    _remove_stale(folder)
    fd, name = tempfile.mkstemp(prefix="export-", suffix=".zip", dir=folder)
    path = Path(name)
    try:
        with os.fdopen(fd, "w+b") as handle:
            summary = write_export(handle, organisation, identified=identified, key=key)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, summary


def _chunks(path: Path) -> Iterator[bytes]:
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                yield chunk
    finally:
        path.unlink(missing_ok=True)


def zip_response(path: Path, filename: str) -> Response:
    """Stream the file and delete it once sent (or once the response is closed unsent)."""
    response = Response(_chunks(path), mimetype="application/zip", direct_passthrough=True)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Length"] = str(path.stat().st_size)
    response.headers["Cache-Control"] = "no-store"
    response.call_on_close(lambda: path.unlink(missing_ok=True))
    return response
