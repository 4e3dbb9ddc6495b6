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
    return key if len(key) <= KEY_SHOWN else key[:KEY_SHOWN] + "…"


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


def _level_of(status: int) -> int:
    return logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO


class RequestLog:
    """Formats request lines (text or JSON) and hands them to ``write`` in batches.

    ``enabled(level)`` says which lines are wanted, as in logging: info shows every request,
    warning only refused (4xx) and failed (5xx) ones, error only failed ones.
    """

    def __init__(self, write: Callable[[Batch], None], enabled: Callable[[int], bool], json_lines: bool = False, batched: bool = True) -> None:
        self._write = write
        self._batch_lines = BATCH_LINES if batched else 1
        self._enabled = enabled
        self._json = json_lines
        self._lines: Batch = []
        self._flush_pending: asyncio.TimerHandle | None = None
        self._second = -1
        self._second_text = ""

    @classmethod
    def to_stream(cls, stream: TextIO, level: int = logging.INFO, json_lines: bool = False) -> RequestLog:
        """Lines on a console or file, written a batch at a time."""

        def write(batch: Batch) -> None:
            stream.write("".join(line + "\n" for _, line in batch))
            stream.flush()

        return cls(write, level.__le__, json_lines)

    @classmethod
    def to_logger(cls, logger: logging.Logger) -> RequestLog:
        """Lines handed to ``logger`` (pytest shows them beside a failed test): every request at
        INFO, refused ones at WARNING, failed ones at ERROR. Each line goes at once, so it is
        captured with the test that caused it."""

        def write(batch: Batch) -> None:
            for level, line in batch:
                logger.log(level, "%s", line)

        return cls(write, logger.isEnabledFor, batched=False)

    def request(self, method: str, path: str, key: str | None, status: int, started: float, note: str | None = None) -> None:
        """Logs one answered request; ``note`` is the job it touched, or why it was refused."""
        level = _level_of(status)
        if not self._enabled(level):
            return
        now = time.time()
        milliseconds = (time.perf_counter() - started) * 1000
        if self._json:
            fields: dict[str, Any] = {"time": round(now, 3), "method": method, "path": path, "key": key_prefix(key), "status": status, "ms": round(milliseconds, 2)}
            if note:
                fields["refused" if status >= 400 else "job"] = note
            line = json.dumps(fields, ensure_ascii=False)
        else:
            # repr-like escaping of the path: a %0A in it must not start a forged line
            line = f"{self._clock_text(now)} {method} {_printable(path)} {key_prefix(key)} {status} {milliseconds:.1f}ms"
            if note:
                line += (" refused: " if status >= 400 else " ") + _printable(note)
        self._lines.append((level, line))
        if len(self._lines) >= self._batch_lines:
            self.flush()
        elif self._flush_pending is None:
            try:
                self._flush_pending = asyncio.get_running_loop().call_later(FLUSH_SECONDS, self.flush)
            except RuntimeError:  # no loop (a synchronous caller): write at once
                self.flush()

    def _clock_text(self, now: float) -> str:
        second = int(now)
        if second != self._second:  # strftime once a second, not once a request
            self._second, self._second_text = second, time.strftime("%H:%M:%S", time.localtime(second))
        return f"{self._second_text}.{int((now - second) * 1000):03d}"

    def flush(self) -> None:
        if self._flush_pending is not None:
            self._flush_pending.cancel()
            self._flush_pending = None
        if self._lines:
            batch, self._lines = self._lines, []
            self._write(batch)


def _printable(text: str) -> str:
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
