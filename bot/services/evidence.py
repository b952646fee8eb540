"""The bureau's own copy of the evidence (规程 三(一)「提交相关证明」, 三(三)2「给到局办公室作为佐证」).

A file a member sends as evidence is downloaded by the bot and kept here, named by
its SHA-256 (the same file sent twice is kept once), with its size and type in the
database, so the office can print, archive and resend it after the chat, or
Telegram's copy, is gone. The store is a directory (HOTLINE_EVIDENCE_DIR).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from bot.evidence import display_name
from bot.services.base import Service, may_see_full
from bot.workflow import Actor, EvidenceIn
from storage import queries
from storage.models import Attachment

# The suffix a stored file gets when its name says nothing (a Telegram photo has no file name).
_SUFFIX = {"photo": ".jpg", "voice": ".ogg", "audio": ".mp3", "video": ".mp4", "document": ".bin"}


class EvidenceStore:
    """Files under one directory, each at <first two hex digits>/<sha256><suffix>."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, data: bytes, suffix: str) -> tuple[str, int, str]:
        """Keep the bytes: (relative path, size, sha256). Written whole or not at all."""
        digest = hashlib.sha256(data).hexdigest()
        relative = f"{digest[:2]}/{digest}{suffix}"
        target = self.root / relative
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            part = target.with_name(target.name + f".{os.getpid()}.part")
            part.write_bytes(data)
            os.replace(part, target)
        return relative, len(data), digest

    def get(self, relative: str, sha256: str | None = None) -> bytes | None:
        """The kept bytes, or None when missing, outside the store, or not what was kept."""
        path = PurePosixPath(relative)
        if path.is_absolute() or ".." in path.parts:
            return None
        target = self.root / path
        if not target.is_file():
            return None
        data = target.read_bytes()
        if sha256 and hashlib.sha256(data).hexdigest() != sha256:
            return None
        return data


@dataclass(frozen=True)
class EvidenceFile:
    """One piece of evidence as 查看佐证 sends it: from the store, else by Telegram's file id."""

    kind: str
    name: str
    purpose: str
    file_id: str
    size: int | None
    sha256: str | None
    data: bytes | None  # None: not kept by the bureau (sent before the store, or not downloadable)


def suffix_of(item: EvidenceIn) -> str:
    suffix = PurePosixPath(item.file_name or "").suffix.lower()
    if suffix and len(suffix) <= 10 and suffix[1:].isalnum():
        return suffix
    guessed = mimetypes.guess_extension(item.mime_type) if item.mime_type else None
    return guessed or _SUFFIX.get(item.kind, ".bin")


class Evidence(Service):
    def __init__(self, *shared, store: EvidenceStore, limit_bytes: int):
        super().__init__(*shared)
        self.store = store
        self.limit_bytes = limit_bytes  # what the Bot API lets the bot download (getFile: 20 MB)

    def keep(self, item: EvidenceIn, data: bytes) -> EvidenceIn:
        """The item with the bureau's copy: where it is kept, its size and its SHA-256."""
        relative, size, digest = self.store.put(data, suffix_of(item))
        return replace(item, stored_path=relative, file_size=size, sha256=digest)

    def files(self, actor: Actor | None, ticket_id: int) -> list[EvidenceFile] | None:
        """Every piece of the ticket's evidence with its kept bytes; None when the asker may not see them.
        The view is audited like a view of full details."""
        with self.db.session() as session:
            ticket = queries.ticket(session, ticket_id)
            if ticket is None or not may_see_full(actor, ticket):
                return None
            rows = queries.attachments_of(session, ticket_id)
            self._audit(session, actor, "view_evidence", ticket_id, attachments=[a.id for a in rows])
            return [self._file(a) for a in rows]

    def kept(self, ticket_id: int, attachment_id: int) -> EvidenceFile | None:
        """One piece of the ticket's evidence with the bureau's copy, for a decision message whose file Telegram
        no longer has (the outbox sends evidence only to the decider's private chat); None: not the ticket's."""
        with self.db.session() as session:
            row = session.get(Attachment, attachment_id)
            return self._file(row) if row is not None and row.ticket_id == ticket_id else None

    def _file(self, a: Attachment) -> EvidenceFile:
        return EvidenceFile(a.kind, display_name(a), a.purpose, a.file_id, a.file_size, a.sha256,
                            self.store.get(a.stored_path, a.sha256) if a.stored_path else None)
