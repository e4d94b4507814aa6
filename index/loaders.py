"""Read supported files into plain text, with page starts for paged formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.errors import LoadError


@dataclass
class Loaded:
    """A document's extracted text; ``pages`` holds the offset where each page starts (PDF)."""

    text: str
    pages: list[int] = field(default_factory=list)


def _decode(data: bytes, name: str) -> str:
    """Decode text bytes (UTF-8 first, else the detected encoding); refuse binary data."""
    if not data.strip():
        raise LoadError(f"{name}: the file is empty")
    sample = data[:65536]
    if b"\x00" in sample and not sample.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise LoadError(f"{name}: looks like a binary file, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(data).best()
        if best is None:
            raise LoadError(f"{name}: not text in any known encoding") from None
        text = str(best)
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 65536):
        raise LoadError(f"{name}: looks like a binary file, not text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _clean(text: str) -> str:
    """Collapse runs of blank lines and trailing spaces left by extractors."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def load_text(path: Path) -> Loaded:
    """Plain text and Markdown, as written."""
    return Loaded(_decode(path.read_bytes(), path.name))


_BLOCKS = (
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dd", "dt",
)


def load_html(path: Path) -> Loaded:
    """HTML reduced to its visible text: scripts, styles and templates dropped."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(_decode(path.read_bytes(), path.name), "html.parser")
    for tag in soup(["script", "style", "noscript", "template", "head", "svg", "iframe"]):
        tag.decompose()
    for tag in soup.find_all(_BLOCKS):
        tag.insert_before("\n\n")
        tag.insert_after("\n\n")
    text = re.sub(r"[ \t\xa0]+", " ", soup.get_text())
    return Loaded(_clean("\n".join(line.strip() for line in text.split("\n"))))


def load_pdf(path: Path) -> Loaded:
    """PDF text page by page (pypdf); encrypted files open only with an empty password."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(f"{path.name}: the PDF is encrypted with a password")
        pages, parts, offset = [], [], 0
        for page in reader.pages:
            page_text = _clean(page.extract_text() or "")
            pages.append(offset)
            parts.append(page_text)
            offset += len(page_text) + 2
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"{path.name}: not a readable PDF ({exc})") from None
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoadError(f"{path.name}: not a readable PDF ({type(exc).__name__})") from None
    return Loaded("\n\n".join(parts), pages)


def load_docx(path: Path) -> Loaded:
    """Word documents: paragraphs and table cells in order (python-docx)."""
    import zipfile

    import docx

    try:
        document = docx.Document(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"{path.name}: not a readable .docx file ({exc})") from None
    except Exception as exc:  # python-docx raises its own types on damaged files
        raise LoadError(f"{path.name}: not a readable .docx file ({type(exc).__name__})") from None
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.append(" | ".join(cell.text.strip() for cell in row.cells))
    return Loaded(_clean("\n\n".join(p.strip() for p in parts if p.strip())))


LOADERS: dict[str, Callable[[Path], Loaded]] = {
    ".txt": load_text,
    ".md": load_text,
    ".markdown": load_text,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def load(path: Path) -> Loaded:
    """Extract the text of ``path`` by its suffix; raise LoadError with the reason."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path.name}: unsupported type; supported: {', '.join(sorted(LOADERS))}")
    try:
        loaded = loader(path)
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    if not loaded.text.strip():
        raise LoadError(f"{path.name}: no text could be extracted")
    return loaded
