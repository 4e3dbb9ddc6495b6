"""The request log: one line per request, so a user can see what their app sent and why an answer
was refused.

Writing a line per request must not cost the hot path much: lines are formatted on the request
path (a few string operations) but written in batches, at most every ``FLUSH_SECONDS`` or every
``BATCH_LINES`` lines, whichever comes first.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from typing import Any, TextIO

from .jobs import Job

FLUSH_SECONDS = 0.1
BATCH_LINES = 256
KEY_SHOWN = 12  # characters of an API key shown: enough to tell test keys apart, not a whole secret

LEVELS = {"critical": logging.CRITICAL, "error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}


def key_prefix(key: str | None) -> str:
    if not key:
        return "-"
    return key if len(key) <= KEY_SHOWN else key[:KEY_SHOWN] + "..."  # ASCII: cheaper to write, safe on any console


def job_note(job: Job, created: bool) -> str:
    """A job as the log shows it: on creation what it will do, on a poll what it answered."""
    if not created:
        return f"{job.id} {job.status.value}"
    outcome = job.outcome
    waits = []
    if outcome.processing_polls:
        waits.append(f"{outcome.processing_polls} polls")
    if outcome.processing_seconds:
        waits.append(f"{outcome.processing_seconds:g}s")
    after = f" after {' and '.join(waits)}" if waits else ""
    chosen = f" ({outcome.rule})" if outcome.rule else ""
    return f"{job.id} will be {outcome.status.value}{after}{chosen}"


Batch = list[tuple[int, str]]  # (logging level, line), oldest first
# What the request path records: (ended, started, method, path, key, status, note); the note is a
# reason (str), or a job and whether the request created it. Lines are formatted a batch at a time.
_Pending = tuple[float, float, str, str, "str | None", int, Any]

_MIN_STATUS = {logging.DEBUG: 0, logging.INFO: 0, logging.WARNING: 400, logging.ERROR: 500}


def _level_of(status: int) -> int:
    return logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO


class RequestLog:
    """Records requests and hands them to ``write`` as lines (text or JSON), in batches.

    ``level`` works as in logging: info keeps every request, warning only refused (4xx) and
    failed (5xx) ones, error only failed ones. The request path only appends a tuple; the
    formatting happens when a batch is written.
    """

    def __init__(self, write: Callable[[Batch], None], level: int = logging.INFO, json_lines: bool = False, batched: bool = True) -> None:
        self._write = write
        self.min_status = _MIN_STATUS.get(level, 1000)  # below it a request is not kept
        self._batch_lines = BATCH_LINES if batched else 1
        self._json = json_lines
        self._pending: list[_Pending] = []
        self._flush_pending: asyncio.TimerHandle | None = None
        # Wall time from the monotonic clock the request path already reads: one clock read per request.
        self._wall_offset = time.time() - time.perf_counter()
        self._second = -1
        self._second_text = ""

    @classmethod
    def to_stream(cls, stream: TextIO, level: int = logging.INFO, json_lines: bool = False) -> RequestLog:
        """Lines on a console or file, written a batch at a time."""

        def write(batch: Batch) -> None:
            stream.write("\n".join([line for _, line in batch]) + "\n")
            stream.flush()

        return cls(write, level, json_lines)

    @classmethod
    def to_logger(cls, logger: logging.Logger) -> RequestLog:
        """Lines handed to ``logger`` (pytest shows them beside a failed test): every request at
        INFO, refused ones at WARNING, failed ones at ERROR, as the logger's level lets through.
        Each line goes at once, so it is captured with the test that caused it."""

        def write(batch: Batch) -> None:
            for level, line in batch:
                if logger.isEnabledFor(level):
                    logger.log(level, "%s", line)

        return cls(write, logging.DEBUG, batched=False)

    def request(self, method: str, path: str, key: str | None, status: int, started: float, note: Any = None) -> None:
        """Keeps one answered request; ``note`` is why it was refused, or (job, created)."""
        if status < self.min_status:
            return
        pending = self._pending
        pending.append((time.perf_counter(), started, method, path, key, status, note))
        if len(pending) >= self._batch_lines:
            self.flush()
        elif self._flush_pending is None:
            try:
                self._flush_pending = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no loop (a synchronous caller): write at once
                self.flush()

    def flush(self) -> None:
        if self._flush_pending is not None:
            self._flush_pending.cancel()
            self._flush_pending = None
        if self._pending:
            pending, self._pending = self._pending, []
            self._write(self._json_lines(pending) if self._json else self._text_lines(pending))

    def _text_lines(self, pending: list[_Pending]) -> Batch:
        # One loop with everything inline: this runs for every request the server answers.
        lines: Batch = []
        wall = self._wall_offset
        for ended, started, method, path, key, status, note in pending:
            now = ended + wall
            second = int(now)
            if second != self._second:  # strftime once a second, not once a line
                self._second, self._second_text = second, time.strftime("%H:%M:%S", time.localtime(second))
            if not path.isprintable():  # escaped: a %0A in a path must not start a forged line
                path = _escaped(path)
            line = f"{self._second_text}.{int((now - second) * 1000):03d} {method} {path} {key_prefix(key)} {status} {(ended - started) * 1000:.1f}ms"
            if note:
                if note.__class__ is tuple:
                    line += " " + job_note(*note)
                else:
                    line += (" refused: " if status >= 400 and not note.startswith("fault:") else " ") + (note if note.isprintable() else _escaped(note))
            lines.append((_level_of(status), line))
        return lines

    def _json_lines(self, pending: list[_Pending]) -> Batch:
        lines: Batch = []
        for ended, started, method, path, key, status, note in pending:
            fields: dict[str, Any] = {
                "time": round(ended + self._wall_offset, 3),
                "method": method,
                "path": path,
                "key": key_prefix(key),
                "status": status,
                "ms": round((ended - started) * 1000, 2),
            }
            if note.__class__ is tuple:
                fields["job"] = job_note(*note)
            elif note and note.startswith("fault: "):
                fields["fault"] = note[7:]
            elif note:
                fields["refused"] = note
            lines.append((_level_of(status), json.dumps(fields, ensure_ascii=False)))
        return lines



def _escaped(text: str) -> str:
    return text.encode("unicode_escape").decode("ascii")
