"""Every generated value comes from (seed, namespace, sequence), never from wall time or randomness."""

from __future__ import annotations

import hashlib
from functools import lru_cache

_JOB_PREFIX = "job-"


def _digest(*parts: object, size: int) -> str:
    text = "\x1f".join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=size).hexdigest()


@lru_cache(maxsize=1024)
def _job_hasher(seed: int, namespace: str) -> "hashlib._Hash":
    # The digest of (seed, namespace, 'job', sequence) with its fixed part hashed once per key.
    return hashlib.blake2b(f"{seed}\x1f{namespace}\x1fjob\x1f".encode("utf-8"), digest_size=5)


def job_id(seed: int, namespace: str, sequence: int) -> str:
    """A job id that carries its sequence number, so an evicted job can be told from a stranger."""
    hasher = _job_hasher(seed, namespace).copy()
    hasher.update(str(sequence).encode("ascii"))
    return f"{_JOB_PREFIX}{hasher.hexdigest()}-{sequence}"


def job_sequence(seed: int, namespace: str, ident: str) -> int | None:
    """The sequence number of a job id this namespace issued, or None if it never issued it."""
    if not ident.startswith(_JOB_PREFIX):
        return None
    _, _, tail = ident.rpartition("-")
    if not tail.isdigit() or tail.startswith("0"):
        return None
    sequence = int(tail)
    return sequence if job_id(seed, namespace, sequence) == ident else None


def delivery_id(seed: int, namespace: str, job: str) -> str:
    """One id per job's callback, the same on every retry and duplicate, so receivers can de-duplicate."""
    return "dlv-" + _digest(seed, namespace, "delivery", job, size=8)


def media_slug(seed: int, *parts: object) -> str:
    """A stable slug for a stream made of the given parts (same shots, same slug)."""
    return _digest(seed, "stream", *parts, size=8)


def media_id(seed: int, namespace: str, prefix: str, sequence: int) -> str:
    """The id of a key's ``sequence``-th upload: ``m-`` for a video, ``a-`` audio, ``img-`` image."""
    return f"{prefix}-{_digest(seed, namespace, 'media', sequence, size=6)}"


def scene_index_id(seed: int, namespace: str, sequence: int) -> str:
    return _digest(seed, namespace, "scene-index", sequence, size=8)


def upload_token(seed: int, namespace: str, sequence: int) -> str:
    """The one-time credential in an upload URL. Derived like every other id, so a replayed run
    hands out the same URLs; it is only as secret as the seed and the key."""
    return _digest(seed, namespace, "upload-slot", sequence, size=16)
