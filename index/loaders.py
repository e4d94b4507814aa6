"""Read supported files into plain text, with page starts for paged formats."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
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
    """Plain text, as written."""
    return Loaded(_decode(path.read_bytes(), path.name))


def load_markdown(path: Path) -> Loaded:
    """Markdown as written, less its HTML comments (``<!-- YAML added: v10.2.0 -->``, table of
    contents markers): a reader of the rendered page never sees them."""
    return Loaded(without_comments(_decode(path.read_bytes(), path.name)))


def without_comments(text: str) -> str:
    """``text`` without its ``<!-- … -->`` comments (an unclosed one stays), in linear time."""
    parts, pos = [], 0
    while (start := text.find("<!--", pos)) >= 0:
        end = text.find("-->", start + 4)
        if end < 0:
            break
        parts.append(text[pos:start])
        pos = end + 3
    parts.append(text[pos:])
    return "".join(parts)


_BLOCKS = frozenset((
    "p", "div", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
    "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dd", "dt", "dl", "main",
    "nav", "aside", "figure", "figcaption", "hr", "title", "details", "summary", "form",
))
_EMPTY_ROW = re.compile(r"^[ \t]*\|[ \t|]*$", re.MULTILINE)
HEADING_CHARS = 300  # a longer "heading" is a page whose heading tag was never closed
_HEADINGS = frozenset(("h1", "h2", "h3", "h4", "h5", "h6"))
_HIDDEN = frozenset(("script", "style", "noscript", "template", "head", "svg", "iframe"))
# site chrome, not content: navigation, sidebars and footers of documentation sites (Sphinx,
# docutils, MkDocs, Texinfo …), the pilcrow links beside headings and terms, local tables of
# contents
_CHROME_TAGS = frozenset(("nav", "footer"))
_CHROME_ROLES = frozenset(("navigation", "banner", "contentinfo", "search"))
_CHROME_CLASSES = frozenset(("sphinxsidebar", "related", "headerlink", "footer", "breadcrumb",
                             "breadcrumbs", "navbar", "toc", "skip-link", "wy-nav-side",
                             "rst-footer-buttons", "md-sidebar", "md-footer", "md-header",
                             # Texinfo's Next/Up panel and the pilcrow beside each index term
                             "header", "nav-panel", "copiable-anchor", "copiable-link"))
_NOTICE = re.compile(r"©|\bcopyright\b", re.IGNORECASE)  # a copyright line, kept from chrome
_CELL_BLOCKS = frozenset(("p", "div", "br", "ul", "ol", "pre", "blockquote", "section"))


class _TextParser(HTMLParser):
    """The visible text of a page, a blank line around each block element. A tokenizer, not a
    tree: linear in the page's size, with no limit on how deep elements nest."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden: list[str] = []  # open hidden elements (their text is skipped)
        self.chrome: tuple[str, int] | None = None  # the open chrome element and its nesting
        self.cells = 0  # open table cells: blocks inside one keep the row on one line
        self.term = False  # after a </dt>: its description continues the term's line
        self.heading: int | None = None  # where the open heading's mark is in parts
        self.title: list[str] = []  # the <title>'s text
        self.meta: dict[str, str] = {}  # <meta name=… content=…> (author, date …)
        self.in_title = False
        self.chrome_text: list[str] = []  # the open chrome element's text (its notice is kept)
        self.notices: set[str] = set()

    def _is_chrome(self, tag, attrs) -> bool:
        values = {k.lower(): (v or "") for k, v in attrs}
        classes = set(values.get("class", "").lower().split())
        return (tag in _CHROME_TAGS or values.get("role", "").lower() in _CHROME_ROLES
                or bool(classes & _CHROME_CLASSES) or {"contents", "topic"} <= classes)

    def handle_starttag(self, tag, attrs):
        if self.chrome is not None:  # inside navigation: count its own tag's nesting only
            if tag == self.chrome[0]:
                self.chrome = (tag, self.chrome[1] + 1)
            if tag in _BLOCKS and len(self.chrome_text) < 200:
                self.chrome_text.append("\n")  # lines of its own, for the notice
            return
        if tag == "title":
            self.in_title = True
        elif tag == "meta":
            self._meta(attrs)
        if tag in _HIDDEN:
            self.hidden.append(tag)
        elif not self.hidden and self._is_chrome(tag, attrs):
            self.chrome = (tag, 1)
        elif tag in ("td", "th"):  # a table row stays one line, cells split by bars
            self.cells += 1
            self.parts.append(" | ")
        elif self.cells and tag in _CELL_BLOCKS:
            self.parts.append(" ")
        elif tag in _HEADINGS:  # marked as in markdown: "4. Interpreting the output" is a
            self.parts.append("\n\n")  # heading, not a numbered item or a sentence
            self.heading = len(self.parts)
            self.parts.append("#" * int(tag[1]) + " ")
        elif tag in _BLOCKS:
            if not (self.term and tag in ("dd", "p", "div")):
                self.parts.append("\n\n")
        elif tag == "li":  # a list item stays one: a line of its own, marked as in markdown
            self.parts.append("\n\n- ")

    def _meta(self, attrs):
        values = {k.lower(): (v or "") for k, v in attrs}
        name = (values.get("name") or values.get("property") or "").lower()
        if name and values.get("content", "").strip() and len(self.meta) < 50:
            self.meta.setdefault(name, " ".join(values["content"].split())[:200])

    def handle_endtag(self, tag):
        if self.chrome is not None:
            if tag == self.chrome[0]:
                depth = self.chrome[1] - 1
                self.chrome = (tag, depth) if depth else None
                if not depth:
                    self._keep_notice()
            return
        if tag == "title":
            self.in_title = False
        if self.hidden and tag in _HIDDEN:
            if tag in self.hidden:  # close it and whatever was left open inside
                del self.hidden[len(self.hidden) - 1 - self.hidden[::-1].index(tag):]
        elif tag in ("td", "th"):
            self.cells = max(0, self.cells - 1)
        elif self.cells and tag in _CELL_BLOCKS:
            self.parts.append(" ")
        elif tag in _HEADINGS and self.heading is not None:
            words = "".join(self.parts[self.heading + 1:]).split()  # one line, however nested
            if not words:
                self.parts[self.heading] = ""  # an empty heading leaves no mark
            elif sum(map(len, words)) > HEADING_CHARS:
                self.parts[self.heading] = ""  # an unclosed tag's whole page: left as text
            else:
                del self.parts[self.heading + 1:]
                self.parts.append(" ".join(words))
            self.heading = None
            self.parts.append("\n\n")
        elif tag == "dt":  # a definition's term and its description make one line
            while self.parts and not self.parts[-1].strip():
                self.parts.pop()
            if self.parts:
                self.parts[-1] = self.parts[-1].rstrip()
            self.term = True
            self.parts.append(": ")
        elif tag in _BLOCKS or tag == "li":
            self.parts.append("\n\n")

    def handle_startendtag(self, tag, attrs):
        if self.chrome is not None:
            if tag in _BLOCKS and len(self.chrome_text) < 200:
                self.chrome_text.append("\n")
            return
        if tag == "meta":
            self._meta(attrs)
        if tag in _BLOCKS:
            self.parts.append(" " if self.cells else "\n\n")

    def _keep_notice(self):
        """A footer is chrome, but its copyright line is the page's own ("© Copyright
        2000-2022 Kitware, Inc. and Contributors."): it stays, once a page."""
        lines = "".join(self.chrome_text).split("\n")
        self.chrome_text = []
        for line in lines:
            line = " ".join(line.split())
            if _NOTICE.search(line) and len(line) < 300 and line not in self.notices:
                self.notices.add(line)
                self.parts.append(f"\n\n{line}\n\n")
                return

    def handle_data(self, data):
        if self.in_title and len(self.title) < 100:
            self.title.append(data)
        if self.chrome is not None and not self.hidden and len(self.chrome_text) < 200:
            self.chrome_text.append(data)
        if not self.hidden and self.chrome is None:
            if self.term:
                if not data.strip():
                    return  # the space between a term and its description
                data = data.lstrip()
            self.parts.append(data)
            self.term = False


def load_html(path: Path) -> Loaded:
    """HTML reduced to its visible text: scripts, styles, templates and the head dropped."""
    parser = _TextParser()
    parser.feed(_decode(path.read_bytes(), path.name))
    parser.close()
    text = re.sub(r"[ \t\xa0]+", " ", "".join(parser.parts))
    text = _EMPTY_ROW.sub("", text)  # a layout table's empty cells
    body = _clean("\n".join(line.strip() for line in text.split("\n")))
    title = " ".join("".join(parser.title).split())[:300]
    author = parser.meta.get("author") or parser.meta.get("article:author", "")
    return Loaded(_clean("\n\n".join(_header(title, author, body) + [body])))


def _header(title: str, author: str, body: str) -> list[str]:
    """Lines that put a document's title and author (from metadata) at its top, unless its
    text already begins with them."""
    lines = []
    if title and not body[:len(title) + 200].count(title):
        lines.append(title)
    if author and author not in body[:2000]:
        lines.append(f"By {author}")
    return lines


def load_pdf(path: Path) -> Loaded:
    """PDF text page by page (pypdf); encrypted files open only with an empty password."""
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    # pypdf logs its own lines about damaged files ("invalid pdf header", "EOF marker not
    # found"); the ingest report says it in one line instead
    logging.getLogger("pypdf").setLevel(logging.ERROR)

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError(f"{path.name}: the PDF is encrypted with a password")
        texts = _without_running_lines([_clean(_with_table_rows(page)) for page in reader.pages])
        pages, parts, offset = [], [], 0
        for page_text in texts:
            pages.append(offset)
            parts.append(page_text)
            offset += len(page_text) + 2
    except LoadError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"{path.name}: not a readable PDF ({exc})") from None
    except Exception as exc:  # pypdf raises many types on damaged files
        raise LoadError(f"{path.name}: not a readable PDF ({type(exc).__name__})") from None
    header = _header(*_pdf_title_author(reader), "\n\n".join(parts[:2]))
    if header:  # the metadata's title and author, ahead of page 1
        head = "\n\n".join(header) + "\n\n"
        parts[0] = head + parts[0]
        pages = [0] + [p + len(head) for p in pages[1:]]
    return Loaded("\n\n".join(parts), pages)


_CELL_GAP = re.compile(r"\s{2,}")
_CELL_LINES = re.compile(r"(?:^[^\n]{1,40}\n){6}", re.MULTILINE)  # six short lines in a row
TABLE_ROWS = 3  # consecutive laid-out lines of as many cells that make a table


def _with_table_rows(page) -> str:
    """A page's text, its tables written as rows (`| Revenue | 148.2 | 140.1`). pypdf's plain
    text gives a table one cell per line; its layout mode keeps each row on a line with wide
    gaps between cells. Runs of such lines (TABLE_ROWS or more with the same number of cells)
    replace their cells where the plain text holds them one per line, in the same order;
    anything else stays as the plain text has it (layout mode would interleave the columns of a
    two-column page)."""
    text = page.extract_text() or ""
    if not _CELL_LINES.search(text):
        return text  # no run of short lines: no table to find (layout mode costs as much again)
    try:
        laid = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # layout mode is newer and less forgiving: the plain text stands
        return text
    for rows in _laid_out_tables(laid):
        cells = [cell for row in rows for cell in row]
        block = "\n".join(cells)
        at = text.find(block)
        after = text[at + len(block):at + len(block) + 1]
        if at < 0 or (at and text[at - 1] != "\n") or after not in ("", "\n"):
            continue
        table = "\n".join("| " + " | ".join(row) for row in rows)
        text = text[:at] + table + text[at + len(block):]
    return text


def _laid_out_tables(laid: str) -> list[list[list[str]]]:
    """Runs of laid-out lines with two or more cells each, the same number in every line."""
    tables, run = [], []
    for line in laid.split("\n") + ["end"]:
        if not line.strip():
            continue  # layout mode spaces rows apart with blank lines
        cells = [c for c in _CELL_GAP.split(line.strip()) if c]
        if len(cells) >= 2 and (not run or len(cells) == len(run[0])):
            run.append(cells)
            continue
        if len(run) >= TABLE_ROWS:
            tables.append(run)
        run = [cells] if len(cells) >= 2 else []
    return tables


RUNNING_LINES = 1  # a page's first and last lines this many deep may be its running head/foot
_DIGITS = re.compile(r"\d+")


def _without_running_lines(pages: list[str]) -> list[str]:
    """Pages without their running heads and feet: a line among a page's first or last
    RUNNING_LINES that, its numbers aside, stands there on at least half the pages (three or
    more): "Valderholm Water Company - Annual Report 2023 - page 7" is not text."""
    def edges(text: str) -> list[str]:  # a page too short to have a body has no edges
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        if len(lines) <= 2 * RUNNING_LINES:
            return []
        return lines[:RUNNING_LINES] + lines[-RUNNING_LINES:]

    if len(pages) < 3:
        return pages
    counts: dict[str, int] = {}
    for text in pages:
        for key in {_DIGITS.sub("#", line) for line in edges(text)}:
            counts[key] = counts.get(key, 0) + 1
    running = {key for key, n in counts.items() if n >= max(3, len(pages) / 2)}
    if not running:
        return pages
    kept = []
    for text in pages:
        edge = set(edges(text))
        kept.append(_clean("\n".join(
            line for line in text.split("\n")
            if not (line.strip() in edge and _DIGITS.sub("#", line.strip()) in running))))
    return kept


def _pdf_title_author(reader) -> tuple[str, str]:
    try:
        meta = reader.metadata or {}
        title, author = meta.get("/Title") or "", meta.get("/Author") or ""
    except Exception:  # damaged metadata: the text is still worth indexing
        return "", ""
    return " ".join(str(title).split())[:300], " ".join(str(author).split())[:200]


DOCX_XML_BYTES = 100 * 1024 * 1024  # word/document.xml unpacked: a zip bomb stops here
DOCX_TEXT_CHARS = 20_000_000  # extracted text (about 10,000 pages)
DOCX_BLOCK_ELEMENTS = 500_000  # XML elements in one paragraph or table (held until it ends)
DOCX_RATIO = 100  # document.xml packed more tightly than this (and over 8 MB): a zip bomb
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class _Capped:
    """A file object that refuses to read past ``limit`` bytes."""

    def __init__(self, raw, limit: int, name: str):
        self.raw, self.left, self.name = raw, limit, name

    def read(self, n: int = -1) -> bytes:
        data = self.raw.read(n if n >= 0 else self.left + 1)
        self.left -= len(data)
        if self.left < 0:
            raise LoadError(f"{self.name}: unpacks to over {DOCX_XML_BYTES // 2**20} MB of text "
                            f"markup; refused (a zip bomb, or split the document)")
        return data


def _docx_text(block) -> str:
    """A paragraph's text (tabs and breaks kept), or a table's rows as ``| cell | cell`` (as
    HTML's: a row under its table's header, see index.view.tables_of)."""
    if block.tag == f"{_W}tbl":
        rows = block.iter(f"{_W}tr")
        return "\n".join("| " + " | ".join(_docx_text(cell).strip() for cell in row.iter(f"{_W}tc"))
                         for row in rows)
    parts = []
    for el in block.iter(f"{_W}t", f"{_W}tab", f"{_W}br", f"{_W}p"):
        if el.tag == f"{_W}t":
            parts.append(el.text or "")
        elif el.tag == f"{_W}tab":
            parts.append("\t")
        elif el is not block:
            parts.append("\n")
    return "".join(parts)


def load_docx(path: Path) -> Loaded:
    """Word documents: paragraphs and tables in document order, read as a stream (lxml), so
    memory stays flat however large the file unpacks; bounded unpacked and extracted size."""
    import zipfile

    from lxml import etree

    try:
        with zipfile.ZipFile(path) as archive, archive.open("word/document.xml") as raw:
            info = archive.getinfo("word/document.xml")
            if info.file_size > DOCX_XML_BYTES or (info.file_size > 8 * 2**20 and info.file_size
                                                   > DOCX_RATIO * max(info.compress_size, 1)):
                raise LoadError(f"{path.name}: unpacks to {info.file_size / 2**20:,.0f} MB of "
                                f"text markup from {info.compress_size / 2**20:,.1f} MB; refused "
                                f"(a zip bomb?)")
            source = _Capped(raw, DOCX_XML_BYTES, path.name)  # the sizes above can lie
            parts: list[str] = []
            size = elements = 0
            events = etree.iterparse(source, events=("start", "end"), resolve_entities=False,
                                     no_network=True, huge_tree=False)
            for event, el in events:
                elements += event == "start"
                if elements > DOCX_BLOCK_ELEMENTS:
                    raise LoadError(f"{path.name}: one paragraph or table holds over "
                                    f"{DOCX_BLOCK_ELEMENTS:,} XML elements; refused")
                if event != "end" or el.getparent() is None or el.getparent().tag != f"{_W}body":
                    continue
                if el.tag != f"{_W}sectPr":  # a paragraph, a table, or content controls
                    text = (_docx_text(el) if el.tag in (f"{_W}p", f"{_W}tbl") else "\n\n".join(
                        _docx_text(p) for p in el.iter(f"{_W}p"))).strip()
                    if text:
                        parts.append(text)
                        size += len(text)
                    if size > DOCX_TEXT_CHARS:
                        raise LoadError(f"{path.name}: over {DOCX_TEXT_CHARS:,} characters of "
                                        f"text; refused (split the document)")
                el.clear()  # done with this block: free it and what came before
                while el.getprevious() is not None:
                    del el.getparent()[0]
                elements = 0
    except LoadError:
        raise
    except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError, EOFError) as exc:
        raise LoadError(f"{path.name}: not a readable .docx file ({exc})") from None
    return Loaded(_clean("\n\n".join(parts)))


LOADERS: dict[str, Callable[[Path], Loaded]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".rst": load_text,
    "": load_text,  # LICENSE, README, NOTICE, GPL-2: read when the content is text
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def file_type(path: Path) -> str:
    """The LOADERS key of a file: its suffix, lower-cased; "" for none, or for a number
    (``GPL-2``, ``LGPL-2.1``, ``NOTICE``: text files named without an extension)."""
    suffix = path.suffix.lower()
    return "" if suffix[1:].isdigit() else suffix


def unsupported(path: Path) -> str:
    """Why a file is not read: its type, and the types that are."""
    kinds = ", ".join(sorted(k for k in LOADERS if k))
    return (f"{path.name}: unsupported type {path.suffix}; supported: {kinds}, and text files "
            f"without an extension")


def load(path: Path) -> Loaded:
    """Extract the text of ``path`` by its suffix; raise LoadError with the reason."""
    loader = LOADERS.get(file_type(path))
    if loader is None:
        raise LoadError(unsupported(path))
    try:
        loaded = loader(path)
    except OSError as exc:
        raise LoadError(f"{path.name}: cannot read ({exc.strerror or exc})") from None
    if not loaded.text.strip():
        raise LoadError(f"{path.name}: no text could be extracted")
    return loaded
