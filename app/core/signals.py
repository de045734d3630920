"""Signals between features that must not import each other.

`evidence_changed` is sent by a service when something that can count towards a certificate has
changed for some trainees: a lesson finished, a quiz graded, an assessment submitted, a practice
entry verified, a supervision session or attendance recorded. The certificates feature listens and,
after the request that caused it, checks those trainees for automatic issuing.
"""
from __future__ import annotations

from collections.abc import Iterable

from blinker import Namespace

_signals = Namespace()
evidence_changed = _signals.signal("evidence-changed")


def trainees_progressed(trainee_ids: Iterable[int | None]) -> None:
    """Tell listeners that these trainees' evidence changed (the caller's transaction may still roll back)."""
    ids = {int(i) for i in trainee_ids if i is not None}
    if ids:
        evidence_changed.send(None, trainee_ids=ids)
