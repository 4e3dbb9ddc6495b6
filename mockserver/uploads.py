"""Uploads: by URL (a job), or by file (an upload URL, the file posted to it, then the same job).

The upload target keeps only a file's name, size and SHA-256; the bytes pick the template
video, as a URL's hash does.
"""

from __future__ import annotations

from .catalog import Catalog
from .jobs import Job
from .kinds.upload import UploadKind, media_type_of, name_of
from .launcher import JobOptions, Launcher
from .library import Library, ReceivedFile, UploadSlot


class Uploads:
    def __init__(self, catalog: Catalog, library: Library, kind: UploadKind, launcher: Launcher) -> None:
        self.catalog = catalog
        self.library = library
        self.kind = kind
        self.launcher = launcher

    def upload_url(self, key: str, collection_id: str, name: str | None) -> UploadSlot:
        collection = self.catalog.collection(collection_id)
        return self.library.open_slot(key, collection.id, name)

    def receive(self, token: str, received: ReceivedFile) -> UploadSlot:
        return self.library.receive(token, received)

    def upload(
        self,
        key: str,
        collection_id: str,
        url: str,
        *,
        name: str | None = None,
        description: str | None = None,
        media_type: str | None = None,
        slot_token: str | None = None,
        options: JobOptions,
    ) -> Job:
        """An upload job; ``slot_token`` when ``url`` is an upload URL this emulator handed out."""
        collection = self.catalog.collection(collection_id)
        self.launcher.check(options)  # before a slot is used up
        digest = None
        named_by = url
        if slot_token is not None:
            slot = self.library.use_slot(key, slot_token)
            assert slot.received is not None
            digest, named_by = slot.received.sha256, slot.received.filename
            name = name or slot.name
        subject = self.kind.prepare(
            key,
            collection.id,
            url,
            media_type_of(named_by, media_type),
            name or name_of(named_by),
            description,
            self.kind.template(url, digest),
        )
        return self.launcher.start(key, self.kind, subject, options)
