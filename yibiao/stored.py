"""Files kept between requests and processes, through Django's storage API (STORAGES).

Uploaded templates, uploaded rosters waiting for an import job and finished export files
live in the default storage: a local directory by default (MEDIA_ROOT, YIBIAO_STORAGE_DIR),
a directory every app server and job worker mounts, or S3-compatible object storage
(YIBIAO_STORAGE=s3, django-storages). Code that writes or reads such a file names it by
its storage name, never by a path on this machine's disk.

The spreadsheet code (yibiao.sheets) reads and writes local files; ``local_copy`` gives it
one: the file itself where the storage is a directory (no copy, as before), a temporary
copy with the same base name otherwise (messages name the user's file).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO

from django.core.files import File
from django.core.files.storage import default_storage


def save(name: str, local: Path | str) -> str:
    """Store a local file under `name` (or a free name beside it); the name it was stored as."""
    with open(local, "rb") as handle:
        return default_storage.save(name, File(handle, name=PurePosixPath(name).name))


def save_upload(name: str, upload: File) -> str:
    """Store an uploaded file (Django's UploadedFile) under `name`, chunk by chunk."""
    return default_storage.save(name, upload)


def _legacy(name: str) -> bool:
    """Rows written before files went through the storage hold absolute local paths."""
    return os.path.isabs(name)


def open_file(name: str) -> IO[bytes]:
    """The stored file, open for reading (a FileResponse closes it)."""
    if _legacy(name):
        return open(name, "rb")  # noqa: SIM115 - the caller (a FileResponse) closes it
    return default_storage.open(name, "rb")


def exists(name: str) -> bool:
    return Path(name).exists() if _legacy(name) else default_storage.exists(name)


def delete(name: str) -> None:
    """The stored file and, in a directory storage, the folder of its own it was kept in
    (``folder`` / token / file) when that folder is left empty."""
    if _legacy(name):
        local: Path | None = Path(name)
        local.unlink(missing_ok=True)
    else:
        local = _local_path(name)
        default_storage.delete(name)
    if local is not None:
        try:
            local.parent.rmdir()  # only an empty folder: never another upload's
        except OSError:
            pass


def keep_only(folder: str, name: str) -> list[str]:
    """Delete every file directly in `folder` but `name`: what runs of a job that died or
    lost the race to finish left beside the one kept. The names deleted."""
    try:
        _, files = default_storage.listdir(folder)
    except FileNotFoundError:  # nothing was ever stored there
        return []
    gone = [f"{folder}/{file}" for file in files if f"{folder}/{file}" != name]
    for other in gone:
        default_storage.delete(other)
    return gone


def _local_path(name: str) -> Path | None:
    """The file's own path where the storage is a directory on this machine, else None."""
    try:
        path = Path(default_storage.path(name))
    except NotImplementedError:  # object storage (S3): no path on this machine
        return None
    return path if path.is_file() else None  # e.g. InMemoryStorage names a path it never writes


@contextmanager
def local_copy(name: str) -> Iterator[Path]:
    """A path on this machine holding the stored file, for as long as the block runs."""
    if _legacy(name):
        yield Path(name)
        return
    local = _local_path(name)
    if local is not None:
        yield local
        return
    folder = Path(tempfile.mkdtemp(prefix="yibiao-stored-"))
    try:
        copy = folder / PurePosixPath(name).name
        with default_storage.open(name, "rb") as source, open(copy, "wb") as target:
            shutil.copyfileobj(source, target, 1024 * 1024)
        yield copy
    finally:
        shutil.rmtree(folder, ignore_errors=True)
