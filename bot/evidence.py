"""The evidence as the forms and /ticket list it (规程 三(三)2 佐证): name, kind, size, SHA-256, kept or not."""

from __future__ import annotations

from pathlib import PurePosixPath

from storage.models import Attachment
from templates import label

SHA_SHOWN = 16  # hex digits of the SHA-256 a list shows (the full hash goes with the file itself)


def display_name(row: Attachment) -> str:
    """The sender's file name, else 照片3.jpg (a photo has no name)."""
    return row.file_name or f"{label('attachment_kind', row.kind)}{row.id}{PurePosixPath(row.stored_path or '').suffix}"


def size_text(size: int | None) -> str:
    """85 KB, 2.4 MB; — when the size is not known (a file the bureau could not keep)."""
    if size is None:
        return "—"
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{max(1, round(size / 1024))} KB"


def evidence_rows(rows: list[Attachment]) -> list[dict]:
    return [{"name": display_name(a), "kind": a.kind, "kind_name": label("attachment_kind", a.kind, a.kind),
             "purpose": a.purpose, "size": a.file_size, "size_text": size_text(a.file_size),
             "sha256": a.sha256 or "", "sha_short": (a.sha256 or "")[:SHA_SHOWN], "kept": a.stored_path is not None}
            for a in rows]
