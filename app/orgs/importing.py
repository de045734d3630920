"""Bulk accounts from a spreadsheet (CSV or XLSX): read the file, check every row, then create the valid ones.

Nothing is created at upload: the rows wait in a UserImport until an administrator confirms,
and the confirmation claims the batch once, so a double submit cannot import twice.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterable, Iterator

import sqlalchemy as sa

from app.auth.models import User
from app.core import audit
from app.core.db import utcnow
from app.core.i18n import _, _l, format_decimal
from app.extensions import db
from app.orgs import services
from app.orgs.models import ImportStatus, Organisation, Role, Site, UserImport

MAX_ROWS = 2000
MAX_COLUMNS = 50
HEADER_SEARCH_ROWS = 10  # a title line or two above the header is common in hand-made sheets
MAX_BLANK_RUN = 1000  # stop reading after this many empty rows in a row
DELIMITERS = ",;\t"


def _key(text: Any) -> str:
    """Compare words the way people type them: case, accents, spaces and hyphens do not matter."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s_\-.]+", "_", plain.strip().casefold()).strip("_")


HEADER_ALIASES = {
    alias: column
    for column, aliases in {
        "username": ["username", "user", "user name", "login", "usuario", "nombre de usuario", "nombre usuario"],
        "full_name": ["full_name", "full name", "fullname", "name", "nombre", "nombre completo"],
        "email": ["email", "e-mail", "mail", "email address", "correo", "correo electronico", "correo-e"],
        "phone": ["phone", "phone number", "mobile", "telefono", "teléfono", "celular", "movil", "móvil", "tel"],
        "site": ["site", "sitio", "sede", "clinic", "clinica", "clínica"],
        "roles": ["roles", "role", "rol"],
        "language": ["language", "lang", "idioma", "lengua"],
    }.items()
    for alias in map(_key, aliases)
}
ROLE_ALIASES = {
    alias: role
    for role, aliases in {
        Role.TRAINEE: ["trainee", "learner", "participant", "aprendiz", "participante", "estudiante", "alumno", "alumna"],
        Role.SUPERVISOR: ["supervisor", "supervisora"],
        Role.TRAINER: ["trainer", "facilitator", "capacitador", "capacitadora", "formador", "formadora",
                       "facilitador", "facilitadora", "instructor", "instructora"],
        Role.ADMIN: ["admin", "administrator", "administrador", "administradora"],
    }.items()
    for alias in map(_key, aliases)
}
LANGUAGE_ALIASES = {_key(a): code for code, aliases in {
    "es": ["es", "español", "spanish", "castellano"],
    "en": ["en", "english", "inglés"],
}.items() for a in aliases}

ERRORS = {
    "missing_username": _l("Username is missing."),
    "bad_username": _l("Username “%(value)s” may only use letters without accents, numbers, dots, hyphens and underscores (2 to 64)."),
    "duplicate_username": _l("Username “%(value)s” is already used on row %(row)s of this file."),
    "existing_username": _l("Username “%(value)s” already exists."),
    "missing_full_name": _l("Full name is missing."),
    "long_full_name": _l("Full name is longer than 200 characters."),
    "invalid_email": _l("Email “%(value)s” is not a valid address."),
    "duplicate_email": _l("Email “%(value)s” is already used on row %(row)s of this file."),
    "existing_email": _l("Email “%(value)s” already belongs to another account."),
    "invalid_phone": _l("Phone “%(value)s” may only use numbers, spaces and + ( ) - ."),
    "unknown_site": _l("Site “%(value)s” does not exist. Create it first, or correct the name."),
    "inactive_site": _l("Site “%(value)s” is inactive."),
    "unknown_role": _l("Role “%(value)s” is unknown. Use trainee, supervisor, trainer or admin."),
    "bad_language": _l("Language “%(value)s” is unknown. Use es or en."),
}


def describe(error: dict[str, Any]) -> str:
    """The stored error code as a sentence in the reader's language."""
    params = {k: v for k, v in error.items() if k != "code"}
    return str(ERRORS[error["code"]]) % params if params else str(ERRORS[error["code"]])


class ImportFileError(Exception):
    """The file as a whole cannot be read; the message says what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ImportStateError(Exception):
    """The batch cannot be confirmed (already imported, discarded, nothing valid)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class RowsHaveErrorsError(Exception):
    """Some rows have problems and the administrator did not choose to skip them."""

    def __init__(self, count: int):
        super().__init__(count)
        self.count = count


# -- reading files ---------------------------------------------------------------------------

def _unreadable() -> ImportFileError:
    return ImportFileError(_("We could not read this file. Open it in your spreadsheet program, save it again "
                             "as CSV or Excel Workbook (.xlsx), and upload it again."))


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 from Excel's “Unicode text”, else Excel's Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as error:
            raise _unreadable() from error
    if b"\x00" in data[:4096]:
        raise _unreadable()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _first_lines(text: str) -> list[str]:
    lines = (line for line in text[:65536].splitlines() if line.strip())
    return [line for _, line in zip(range(HEADER_SEARCH_ROWS), lines)]


def _delimiter(text: str) -> str:
    """The delimiter that makes one of the first lines a header with a username column.

    csv.Sniffer guesses first, but commas inside names can fool it, so its guess is checked.
    """
    try:
        preferred = csv.Sniffer().sniff(text[:16384], delimiters=DELIMITERS).delimiter
    except csv.Error:
        preferred = None
    candidates = ([preferred] if preferred else []) + [d for d in DELIMITERS if d != preferred]
    for candidate in candidates:
        for line in _first_lines(text):
            cells = next(csv.reader([line], delimiter=candidate), [])
            if any(HEADER_ALIASES.get(_key(cell)) == "username" for cell in cells):
                return candidate
    return preferred or ","


def _csv_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    text = _decode(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from enumerate(reader, start=1)
    except csv.Error as error:
        raise _unreadable() from error


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    # Files from other programs make openpyxl warn (missing styles, data validation); none matter here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as error:  # openpyxl raises many kinds (zip, XML, key errors) for a broken file
            raise _unreadable() from error
        try:
            if not workbook.worksheets:
                raise _unreadable()
            rows = workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
            yield from enumerate(rows, start=1)
        except ImportFileError:
            raise
        except Exception as error:
            raise _unreadable() from error
        finally:
            workbook.close()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # phone numbers typed into Excel come back as floats
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


@dataclass
class Sheet:
    rows: list[dict[str, Any]]
    ignored_columns: list[str]


def _header(cells: list[str]) -> tuple[dict[int, str], list[str]]:
    mapping: dict[int, str] = {}
    ignored: list[str] = []
    for index, title in enumerate(cells):
        column = HEADER_ALIASES.get(_key(title))
        if column and column not in mapping.values():
            mapping[index] = column
        elif title:
            ignored.append(title)
    return mapping, ignored


def _sheet(table: Iterable[tuple[int, list[Any]]]) -> Sheet:
    mapping: dict[int, str] | None = None
    ignored: list[str] = []
    first_seen: list[str] | None = None
    searched = blank_run = 0
    rows: list[dict[str, Any]] = []
    for number, values in table:
        cells = [_cell(v) for v in values][:MAX_COLUMNS]
        if not any(cells):
            blank_run += 1
            if blank_run > MAX_BLANK_RUN:
                break
            continue
        blank_run = 0
        if mapping is None:
            first_seen = first_seen or cells
            found, ignored = _header(cells)
            if "username" in found.values():
                mapping = found
                continue
            searched += 1
            if searched >= HEADER_SEARCH_ROWS:
                break
            continue
        if len(rows) == MAX_ROWS:
            raise ImportFileError(_("The file has more than %(max)s people. Split it into files of at most %(max)s rows.",
                                    max=format_decimal(MAX_ROWS)))
        raw = {column: (cells[i] if i < len(cells) else "") for i, column in mapping.items()}
        rows.append({"row": number, "raw": raw})
    if first_seen is None:
        raise ImportFileError(_("The file is empty."))
    if mapping is None:
        raise ImportFileError(_("We did not find a column called “username” (or “usuario”). The first row of the file "
                                "has: %(columns)s.", columns=", ".join(c for c in first_seen if c)[:300]))
    if not rows:
        raise ImportFileError(_("The file has a header row but no people under it."))
    return Sheet(rows, ignored)


def read_upload(filename: str, data: bytes) -> Sheet:
    """Rows of a CSV or XLSX upload with their row numbers as the spreadsheet shows them."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not data:
        raise ImportFileError(_("The file is empty."))
    if extension == "xls" or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_("This is an old Excel file (.xls). In Excel choose “Save as”, then “Excel Workbook "
                                "(.xlsx)” or “CSV”, and upload that file."))
    if extension == "xlsx":
        if not data.startswith(b"PK\x03\x04"):
            raise _unreadable()
        return _sheet(_xlsx_rows(data))
    if extension in ("csv", "txt", "tsv"):
        if data.startswith(b"PK\x03\x04"):
            raise _unreadable()
        return _sheet(_csv_rows(data))
    raise ImportFileError(_("This type of file cannot be imported. Upload a CSV file (.csv) or an Excel "
                            "workbook (.xlsx)."))


# -- checking rows ---------------------------------------------------------------------------

def _existing(column: sa.ColumnElement, values: set[str]) -> set[str]:
    """The values already taken in a column stored lower-case (User.username, User.email)."""
    found: set[str] = set()
    ordered = sorted(values)
    for start in range(0, len(ordered), 500):
        chunk = ordered[start:start + 500]
        found.update(db.session.scalars(sa.select(column).where(column.in_(chunk))))
    return found


def check_rows(organisation_id: int, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each row cleaned, with every problem named; reads the database, writes nothing."""
    organisation = db.session.get(Organisation, organisation_id)
    default_language = organisation.default_language if organisation else "es"
    if default_language not in services.LANGUAGES:
        default_language = "es"
    sites = {_key(s.name): s for s in db.session.scalars(sa.select(Site).where(Site.organisation_id == organisation_id))}
    raw_rows = [r["raw"] for r in rows]
    taken_usernames = _existing(User.username, {r.get("username", "").strip().lower() for r in raw_rows} - {""})
    taken_emails = _existing(User.email, {r.get("email", "").strip().lower() for r in raw_rows} - {""})
    first_username: dict[str, int] = {}
    first_email: dict[str, int] = {}
    checked = []
    for row in rows:
        raw, number = row["raw"], row["row"]
        errors: list[dict[str, Any]] = []
        username = raw.get("username", "").strip().lower()
        if not username:
            errors.append({"code": "missing_username"})
        elif not services.USERNAME_RE.match(username):
            errors.append({"code": "bad_username", "value": username})
        elif username in first_username:
            errors.append({"code": "duplicate_username", "value": username, "row": first_username[username]})
        elif username in taken_usernames:
            errors.append({"code": "existing_username", "value": username})
        if username:
            first_username.setdefault(username, number)
        full_name = raw.get("full_name", "").strip()
        if not full_name:
            errors.append({"code": "missing_full_name"})
        elif len(full_name) > 200:
            errors.append({"code": "long_full_name"})
        email = raw.get("email", "").strip().lower() or None
        if email is not None:
            if not services.EMAIL_RE.match(email) or len(email) > 254:
                errors.append({"code": "invalid_email", "value": email})
            elif email in first_email:
                errors.append({"code": "duplicate_email", "value": email, "row": first_email[email]})
            elif email in taken_emails:
                errors.append({"code": "existing_email", "value": email})
            first_email.setdefault(email, number)
        phone = raw.get("phone", "").strip() or None
        if phone is not None and not services.PHONE_RE.match(phone):
            errors.append({"code": "invalid_phone", "value": phone})
        site_name, site_id = raw.get("site", "").strip(), None
        if site_name:
            site = sites.get(_key(site_name))
            if site is None:
                errors.append({"code": "unknown_site", "value": site_name})
            elif not site.is_active:
                errors.append({"code": "inactive_site", "value": site.name})
            else:
                site_name, site_id = site.name, site.id
        roles: set[Role] = set()
        for part in re.split(r"[;,]", raw.get("roles", "")):
            if part.strip():
                role = ROLE_ALIASES.get(_key(part))
                if role is None:
                    errors.append({"code": "unknown_role", "value": part.strip()})
                else:
                    roles.add(role)
        if not roles and not raw.get("roles", "").strip():
            roles = {Role.TRAINEE}
        language_text = raw.get("language", "").strip()
        language = LANGUAGE_ALIASES.get(_key(language_text)) if language_text else default_language
        if language is None:
            errors.append({"code": "bad_language", "value": language_text})
        checked.append({
            "row": number, "username": username, "full_name": full_name, "email": email, "phone": phone,
            "site": site_name, "site_id": site_id, "roles": sorted(r.value for r in roles),
            "language": language or language_text, "errors": errors,
        })
    return checked


# -- the batch -------------------------------------------------------------------------------

def start_import(organisation_id: int, actor: User, filename: str, data: bytes) -> UserImport:
    """Read the upload and keep its rows for the preview. No account is created here."""
    sheet = read_upload(filename, data)
    clean_name = filename.replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    batch = UserImport(organisation_id=organisation_id, created_by_id=actor.id, filename=clean_name,
                       rows=sheet.rows, ignored_columns=sheet.ignored_columns)
    db.session.add(batch)
    db.session.flush()
    audit.record("users.import_uploaded", batch, after={"filename": clean_name, "rows": len(sheet.rows)})
    return batch


@dataclass
class ImportOutcome:
    created: list[tuple[User, str]]  # each new account with its one-time reset code
    skipped: list[dict[str, Any]]


def _claim(batch: UserImport, actor: User) -> None:
    """Move the batch out of the preview state exactly once, even with two submits racing."""
    claimed = db.session.execute(
        sa.update(UserImport)
        .where(UserImport.id == batch.id, UserImport.status == ImportStatus.PREVIEWED)
        .values(status=ImportStatus.IMPORTED, imported_at=utcnow(), imported_by_id=actor.id)
    ).rowcount
    if claimed != 1:
        db.session.refresh(batch)
        if batch.status == ImportStatus.DISCARDED:
            raise ImportStateError(_("This import was discarded. Upload the file again."))
        raise ImportStateError(_("This file has already been imported. Nothing was created a second time."))


def confirm_import(batch: UserImport, actor: User, *, skip_invalid: bool) -> ImportOutcome:
    """Create every valid row, each with a reset code; refuse if rows have problems unless told to skip them."""
    _claim(batch, actor)
    checked = check_rows(batch.organisation_id, batch.rows)
    invalid = [row for row in checked if row["errors"]]
    valid = [row for row in checked if not row["errors"]]
    if invalid and not skip_invalid:
        raise RowsHaveErrorsError(len(invalid))
    if not valid:
        raise ImportStateError(_("No row can be imported. Correct the file and upload it again."))
    created = []
    for row in valid:
        data = services.UserData(username=row["username"], full_name=row["full_name"], email=row["email"],
                                 phone=row["phone"], site_id=row["site_id"], preferred_language=row["language"],
                                 roles={Role(r) for r in row["roles"]})
        user = services.create_user(batch.organisation_id, data, import_id=batch.id)
        created.append((user, services.issue_reset_code(user, actor)))
        row["user_id"] = user.id
    # Keep what the summary needs (who was created, what was skipped and why), not the contact details.
    batch.rows = [{"row": r["row"], "username": r["username"], "user_id": r.get("user_id"), "errors": r["errors"]}
                  for r in checked]
    batch.created_count, batch.skipped_count = len(created), len(invalid)
    audit.record("users.imported", batch, after={"filename": batch.filename, "created": len(created),
                                                 "skipped": len(invalid)})
    db.session.flush()
    return ImportOutcome(created, invalid)


def discard_import(batch: UserImport) -> None:
    if batch.status != ImportStatus.PREVIEWED:
        raise ImportStateError(_("Only an import that is waiting for confirmation can be discarded."))
    batch.status = ImportStatus.DISCARDED
    batch.rows = []
    audit.record("users.import_discarded", batch, after={"filename": batch.filename})
    db.session.flush()


def discard_stale_imports(max_age: timedelta = timedelta(days=7)) -> int:
    """Drop the personal data of previews nobody confirmed; meant for a periodic command."""
    cutoff = utcnow() - max_age
    stale = db.session.scalars(sa.select(UserImport).where(UserImport.status == ImportStatus.PREVIEWED,
                                                           UserImport.created_at < cutoff)).all()
    for batch in stale:
        discard_import(batch)
    return len(stale)
