"""The upload target's body: a multipart form whose part ``file`` is hashed as it streams in.

Nothing of the file is kept but its name, size and SHA-256, so an upload costs no memory
beyond one chunk; a body over the limit is refused with 413 before anything is stored.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect
from starlette.types import Receive

from .http_errors import HttpError, bad_request
from .library import ReceivedFile

FILE_PART = "file"


class _FilePart:
    """The parser's callbacks: remembers each part's headers and hashes the part named ``file``."""

    def __init__(self) -> None:
        self.found: ReceivedFile | None = None
        self._field = b""
        self._value = b""
        self._headers: dict[bytes, bytes] = {}
        self._hasher: "hashlib._Hash | None" = None
        self._filename = ""
        self._size = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda data, start, end: self._add("_field", data[start:end]),
            "on_header_value": lambda data, start, end: self._add("_value", data[start:end]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_done,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _add(self, name: str, chunk: bytes) -> None:
        setattr(self, name, getattr(self, name) + chunk)

    def _begin(self) -> None:
        self._headers, self._hasher = {}, None

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_done(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") == FILE_PART.encode() and self.found is None:
            self._hasher, self._size = hashlib.sha256(), 0
            self._filename = options.get(b"filename", b"").decode("utf-8", "replace")[:255]

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._hasher is not None:
            self._hasher.update(data[start:end])
            self._size += end - start

    def _end(self) -> None:
        if self._hasher is not None:
            self.found = ReceivedFile(self._filename, self._size, self._hasher.hexdigest())
            self._hasher = None


async def read_file_part(headers: Mapping[bytes, bytes], receive: Receive, limit: int) -> ReceivedFile:
    media_type, options = parse_options_header(headers.get(b"content-type", b""))
    if media_type != b"multipart/form-data":
        got = media_type.decode("latin-1") or "nothing"
        raise HttpError(415, "unsupported_media_type", f"header.content-type: must be multipart/form-data with a part named file, got {got!r}")
    boundary = options.get(b"boundary")
    if not boundary:
        raise bad_request("header.content-type", "multipart/form-data needs a boundary")
    declared = headers.get(b"content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise HttpError(413, "payload_too_large", f"body: an upload must be at most {limit} bytes, got {int(declared)}")
    part = _FilePart()
    try:
        parser = MultipartParser(boundary, part.callbacks())  # type: ignore[arg-type]
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise ClientDisconnect()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise HttpError(413, "payload_too_large", f"body: an upload must be at most {limit} bytes")
            parser.write(chunk)
            more = message.get("more_body", False)
        parser.finalize()
    except MultipartParseError as exc:
        raise bad_request("body", f"malformed multipart/form-data: {str(exc)[:200]}") from None
    if part.found is None:
        raise bad_request(f"body.{FILE_PART}", "required (a multipart part named file)")
    return part.found
