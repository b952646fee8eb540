"""The evidence as the forms and /ticket list it (规程 三(三)2 佐证): name, kind, size, SHA-256, kept or not."""

from __future__ import annotations

from pathlib import PurePosixPath

from storage.models import Attachment
from templates import label


def display_name(row: Attachment) -> str:
    """The sender's file name, else 照片3.jpg (a photo has no name)."""
    return row.file_name or f"{label('attachment_kind', row.kind)}{row.id}{PurePosixPath(row.stored_path or '').suffix}"


def evidence_rows(rows: list[Attachment]) -> list[dict]:
    return [{"name": display_name(a), "kind": a.kind, "purpose": a.purpose, "size": a.file_size,
             "sha256": a.sha256 or "", "kept": a.stored_path is not None} for a in rows]
