"""Where certificate PDFs and bulk ZIPs live: files under instance/certificates/, named by the record.

The PDF is rendered once at issue time and never again; later reads serve the stored bytes, whose
SHA-256 is kept on the record so a changed file is noticed rather than served.
"""
from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Response, current_app, request

if TYPE_CHECKING:
    from app.certificates.models import Certificate

STORAGE_DIR = "certificates"


class StoredFileMissing(LookupError):
    """The record points to a file that is not there (or no longer matches its checksum)."""


def storage_root() -> Path:
    return Path(current_app.instance_path) / STORAGE_DIR


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
    with partial.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)


def write_pdf_file(certificate: Certificate, data: bytes) -> tuple[str, str]:
    """Write the PDF file; (its path under the instance folder, its SHA-256). Touches no record."""
    relative = f"{STORAGE_DIR}/{certificate.organisation_id}/{certificate.code}.pdf"
    _write_atomically(Path(current_app.instance_path) / relative, data)
    return relative, hashlib.sha256(data).hexdigest()


def store_pdf(certificate: Certificate, data: bytes) -> str:
    """Write the PDF and record its path and checksum on the certificate (the caller commits)."""
    certificate.pdf_path, certificate.pdf_sha256 = write_pdf_file(certificate, data)
    return certificate.pdf_path


def pdf_file(certificate: Certificate) -> Path:
    if not certificate.pdf_path:
        raise StoredFileMissing(certificate.code)
    root = Path(current_app.instance_path).resolve()
    path = (root / certificate.pdf_path).resolve()
    if not path.is_relative_to(root / STORAGE_DIR) or not path.is_file():
        raise StoredFileMissing(certificate.code)
    return path


def read_pdf(certificate: Certificate) -> bytes:
    data = pdf_file(certificate).read_bytes()
    if certificate.pdf_sha256 and hashlib.sha256(data).hexdigest() != certificate.pdf_sha256:
        raise StoredFileMissing(certificate.code)
    return data


def pdf_response(certificate: Certificate, *, as_attachment: bool = False) -> Response:
    """The stored bytes (checked against the recorded SHA-256; a certificate PDF is ~20 KB)."""
    data = read_pdf(certificate)
    disposition = "attachment" if as_attachment else "inline"
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'{disposition}; filename="{certificate.code}.pdf"'
    response.headers["Cache-Control"] = "no-cache"  # revocation must show up on the next look
    response.set_etag(certificate.pdf_sha256 or hashlib.sha256(data).hexdigest())
    return response.make_conditional(request)


def job_zip_path(job_id: int) -> tuple[str, Path]:
    relative = f"{STORAGE_DIR}/jobs/certificates-{job_id}-{secrets.token_hex(8)}.zip"
    return relative, Path(current_app.instance_path) / relative


def job_zip_file(relative: str | None) -> Path:
    root = Path(current_app.instance_path).resolve()
    path = (root / (relative or "")).resolve()
    if not relative or not path.is_relative_to(root / STORAGE_DIR / "jobs") or not path.is_file():
        raise StoredFileMissing(relative or "")
    return path
