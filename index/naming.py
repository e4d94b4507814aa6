"""Source names: every indexed file gets a name of its own, kept from one ingest to the next.

A file's name is its path relative to the folder that was ingested (a file given on its own:
its file name; an upload: the name it was uploaded under). When that name already belongs to
another file, the ingested folder's own name is put before it (``B/notes.txt``), then its
parents' (``docs/B/notes.txt``), then a number (``notes (2).txt``). A file is known by its
*origin* (its absolute path; ``upload:NAME`` for an upload), so it keeps its name on every
later ingest, whatever order the folders are given in. A name held by a file that is gone from
disk, or that holds the same content, passes to the new file instead (a moved folder, another
checkout of the same documents): the same document is never indexed twice that way.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

UPLOAD = "upload"  # the prefix of uploads' origins, and the folder name put before a taken name
# what makes two names look alike or reorders how one is shown: a byte-order mark, zero-width
# characters, bidirectional marks, embeddings, overrides and isolates
_INVISIBLE = re.compile("[\ufeff\u200b-\u200f\u2060\u061c\u202a-\u202e\u2066-\u2069]")


def clean_name(name: str) -> str:
    """A file name as it is compared, stored and shown: Unicode NFC, without invisible or
    bidirectional control characters (NFD and NFC "résumé.txt" are one name)."""
    return _INVISIBLE.sub("", unicodedata.normalize("NFC", name)) or "unnamed"


@dataclass(frozen=True)
class Found:
    """A file to index and where it came from."""

    path: Path  # the file to read
    name: str  # the name it would like: relative to the ingested folder, or its file name
    root: str  # the ingested folder (a file's own folder when given alone)
    origin: str  # what identifies the file across ingests
    prefixes: tuple[str, ...] = ()  # folder names to put before a taken name, nearest first
    written: str = ""  # the name as the file system (or the upload) wrote it, when not clean

    @classmethod
    def in_folder(cls, path: Path, name: str, folder: Path) -> Found:
        """A file found under an ingested folder, ``name`` its path relative to it."""
        folder = folder.resolve()
        return cls(path, clean_name(name), str(folder), str(folder / name), _names_up(folder),
                   _unclean(name))

    @classmethod
    def alone(cls, path: Path) -> Found:
        """A file given on its own."""
        parent = path.absolute().parent.resolve()
        return cls(path, clean_name(path.name), str(parent), str(parent / path.name),
                   _names_up(parent), _unclean(path.name))

    @classmethod
    def upload(cls, path: Path, name: str, written: str = "") -> Found:
        """An uploaded file: a later upload under the same (clean) name replaces it;
        ``written``: the name it was uploaded under, when that was not clean."""
        clean = clean_name(name)
        return cls(path, clean, str(path.absolute().parent), f"{UPLOAD}:{clean}", (UPLOAD,),
                   written or _unclean(name))


def _unclean(name: str) -> str:
    return "" if clean_name(name) == name else name


def _names_up(folder: Path) -> tuple[str, ...]:
    return tuple(clean_name(p.name) for p in (folder, *folder.parents) if p.name)


def is_under(origin: str, folder: str) -> bool:
    """Whether a file origin lies inside ``folder`` (an absolute path)."""
    return not origin.startswith(f"{UPLOAD}:") and Path(origin).is_relative_to(folder)


def numbered(name: str, n: int) -> str:
    """``notes.txt`` as ``notes (n).txt`` (the folder part kept)."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem} ({n}){path.suffix}"))


def upload_names(names: list[str]) -> list[str]:
    """Names for files uploaded together: a repeated name is numbered (``same (2).txt``)."""
    seen: set[str] = set()
    out = []
    for name in names:
        n, chosen = 2, name
        while chosen in seen:
            chosen, n = numbered(name, n), n + 1
        seen.add(chosen)
        out.append(chosen)
    return out


def assign(found: list[Found], existing: dict[str, str],
           same_content=None) -> list[tuple[Found, str]]:
    """Each file with its source name (files met twice are kept once). ``existing`` maps the
    origins already indexed to their names: those keep them. ``same_content(found, source)``
    tells whether a file holds what an indexed document holds."""
    owner = {source: origin for origin, source in existing.items()}
    claimed: set[str] = set()  # origins named in this ingest
    named: list[tuple[Found, str]] = []

    def takes_over(item: Found, name: str) -> bool:
        holder = owner.get(name)
        return (holder is not None and holder not in claimed and not holder.startswith(
            f"{UPLOAD}:") and not item.origin.startswith(f"{UPLOAD}:")
            and (not Path(holder).exists() or bool(same_content and same_content(item, name))))

    for item in found:
        if item.origin in claimed:
            continue
        source = existing.get(item.origin)
        if source is None:
            source = item.name if takes_over(item, item.name) else _free(item, owner)
        owner[source] = item.origin
        claimed.add(item.origin)
        named.append((item, source))
    return named


def _free(item: Found, owner: dict[str, str]) -> str:
    """The first name in the order of the module's rule that no other file holds."""
    free = lambda name: owner.get(name, item.origin) == item.origin
    name = item.name
    for prefix in ("", *item.prefixes):
        name = f"{prefix}/{name}" if prefix else name
        if free(name):
            return name
    n = 2
    while not free(numbered(item.name, n)):
        n += 1
    return numbered(item.name, n)
