"""Build one organisation's research export: a ZIP of CSV files, data_dictionary.csv and README.txt.

Each CSV is written straight into the ZIP as its rows arrive from the database, so an export of
national size needs no more memory than a small one. People are shown by user id (identified, for
the organisation's own administrators) or by a keyed-hash pseudonym (for research and pooling).
"""
from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from app.core.csv_files import write_csv
from app.core.db import utcnow
from app.orgs.models import Organisation
from app.research import pseudonyms
from app.research.dictionary import DICTIONARY, FILES, DataFile, dictionary_rows
from app.research.models import KeySource
from app.research.tables import ROWS, Context

Progress = Callable[[str, int, bool], None]  # (file name, rows written so far, whether the file is finished)
PROGRESS_ROWS = 10_000  # how often a long file reports its rows


@dataclass
class ExportSummary:
    """What an export holds: written into README.txt and into the audit log."""

    organisation: Organisation
    identified: bool
    made_at: datetime
    key_source: KeySource | None = None
    key_fingerprint: str | None = None
    key_created: bool = False
    server: str = ""
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def mode(self) -> str:
        return "identified" if self.identified else "pseudonymised"

    def audit_details(self) -> dict[str, Any]:
        return {"mode": self.mode, "key": self.key_source, "key_fingerprint": self.key_fingerprint,
                "key_created": self.key_created, "rows": dict(self.counts)}


def write_export(target: str | Path | IO[bytes], organisation: Organisation, *, identified: bool,
                 key: bytes | None = None, on_progress: Progress | None = None) -> ExportSummary:
    """Write the ZIP to ``target``; ``key`` (pseudonymised only) replaces the organisation's own key.
    ``on_progress`` hears of each file's rows as they are written (a background job shows them)."""
    if identified and key is not None:
        raise ValueError("a key is for pseudonymised exports only")
    summary = ExportSummary(organisation=organisation, identified=identified, made_at=utcnow(),
                            server=pseudonyms.server_address())
    if not identified:
        if key is None:
            key, summary.key_created = pseudonyms.organisation_key(organisation)
            summary.key_source = KeySource.ORGANISATION
        else:
            summary.key_source = KeySource.SUPPLIED
        summary.key_fingerprint = pseudonyms.fingerprint(key)
    person = pseudonyms.Pseudonymiser(None if identified else key, summary.server)
    context = Context(organisation_id=organisation.id, person=person, identified=identified, now=summary.made_at)
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for data_file in FILES:
            summary.counts[data_file.name] = _write_file(archive, summary, data_file, ROWS[data_file.name](context),
                                                         on_progress)
        summary.counts[DICTIONARY.name] = _write_file(archive, summary, DICTIONARY, dictionary_rows(identified),
                                                      on_progress)
        with archive.open(_member("README.txt", summary), "w") as handle:
            handle.write(readme(summary).encode("utf-8"))
    return summary


def _member(name: str, summary: ExportSummary) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=summary.made_at.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o600 << 16  # unpacked files readable by their owner only
    return info


def _write_file(archive: zipfile.ZipFile, summary: ExportSummary, data_file: DataFile,
                rows: Iterable[Sequence[Any]], on_progress: Progress | None) -> int:
    columns = data_file.columns_for(summary.identified)
    keep = [i for i, column in enumerate(data_file.columns) if column in columns]
    if on_progress:
        on_progress(data_file.name, 0, False)
        rows = _reported(rows, data_file.name, on_progress)
    raw = archive.open(_member(data_file.name, summary), "w", force_zip64=True)
    with io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
        count = write_csv(text, [c.name for c in columns], _shaped(rows, data_file, keep))
    if on_progress:
        on_progress(data_file.name, count, True)
    return count


def _reported(rows: Iterable[Sequence[Any]], name: str, on_progress: Progress) -> Iterator[Sequence[Any]]:
    for count, row in enumerate(rows, start=1):
        yield row
        if count % PROGRESS_ROWS == 0:
            on_progress(name, count, False)


def _shaped(rows: Iterable[Sequence[Any]], data_file: DataFile, keep: list[int]) -> Iterator[Sequence[Any]]:
    """Each row checked against the file's columns, then cut to the columns of this mode."""
    width = len(data_file.columns)
    whole = len(keep) == width
    for row in rows:
        if len(row) != width:
            raise RuntimeError(f"{data_file.name}: a row has {len(row)} values for {width} columns")
        yield row if whole else [row[i] for i in keep]


def readme(summary: ExportSummary) -> str:
    """The export's cover note: what, when, whose, which mode, how pseudonyms are made, rows per file."""
    organisation = summary.organisation
    lines = [
        "Acompaña research export",
        "========================",
        "",
        f"Organisation: {organisation.name} ({organisation.slug})",
        f"Made at:      {summary.made_at.strftime('%Y-%m-%dT%H:%M:%SZ')} (UTC)",
        f"Mode:         {summary.mode}",
        f"Server:       {summary.server}",
        "",
    ]
    if summary.identified:
        lines += [
            "People are shown by their user id on this server; people.csv adds their full name and",
            "username. Keep this export as you keep the organisation's own records: it identifies people.",
        ]
    else:
        source = ("the organisation's research key, kept on the server that made this export"
                  if summary.key_source == KeySource.ORGANISATION else
                  "a key file supplied for this export (it was not stored)")
        lines += [
            "People are shown by pseudonyms. No names, usernames, emails, phone numbers or user ids",
            "appear in any file.",
            "",
            "How a pseudonym is made:",
            f'  "{pseudonyms.PREFIX}" + the first {pseudonyms.LENGTH} characters of the base32 form of',
            f'  HMAC-SHA256(key, "{pseudonyms.MESSAGE.format(server="<server>", user_id="<user_id>")}")',
            "  where <server> is the address of the server that made the export (above) and <user_id>",
            "  is the person's user id on that server.",
            f"Key: {source}.",
            f"Key fingerprint: {summary.key_fingerprint} (HMAC-SHA256 of a fixed text; it shows that two",
            "  exports used the same key and reveals nothing about the key).",
            "",
            "The same person gets the same pseudonym in every export made with the same key on the same",
            "server, so exports made months apart can be linked. Another key gives other pseudonyms. Without",
            "the key a pseudonym cannot be turned back into a person: there is no table to look it up in.",
            "",
            "Pooling data across programmes: programmes that agree on one key file (at least 32",
            "characters, for example made with `openssl rand -hex 32`) and use it for their exports share",
            "one pseudonym scheme. On one server, a person who holds roles in several of them keeps one",
            "pseudonym. User ids of different servers overlap, but the server's address is part of what",
            "is hashed, so people of different servers never share a pseudonym. If a server's address",
            "changes, its later exports get new pseudonyms. Whoever holds the key can recompute",
            "pseudonyms from user ids: keep it apart from the data.",
        ]
    lines += [
        "",
        "Files and rows:",
        *(f"  {name:<28} {count:>10} rows" for name, count in summary.counts.items()),
        "  README.txt                   this note",
        "",
        "Conventions: UTF-8 CSV with a byte-order mark and CRLF line ends. Dates and times are",
        "ISO 8601 in UTC. Booleans are 1 or 0. Lists are separated by ';'. An empty cell means none",
        "or unknown. Text that starts with = + - or @ gets a leading apostrophe so that spreadsheets",
        "do not run it as a formula. data_dictionary.csv describes every column of every file.",
        "",
        "Left out on purpose: free-text notes (assessments, supervision, practice, attendance), case",
        "summaries and client codes, quiz answers' text, certificate codes, and drafts (assessments,",
        "supervision records and practice sessions not yet submitted). Record ids (attempt_id,",
        "assessment_id, ...) link the files to one another; they are not people.",
        "",
    ]
    return "\r\n".join(lines)
