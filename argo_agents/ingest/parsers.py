"""Parsers: document text → title, blocks (headings and paragraphs, with offsets) and links.

Line-based and dependency-free for Markdown, reStructuredText and plain text;
HTML through the standard library's `html.parser`; PDF through `pypdf` when it
is installed (the `pdf` extra). Each parser keeps the document's structure:
the chunker cuts along headings and paragraphs, never across a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

FORMATS = ("markdown", "rst", "html", "text", "pdf", "jsonl")
SUFFIXES: dict[str, str] = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".mdx": "markdown",
    ".txt": "text",
    ".text": "text",
    ".rst": "rst",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".pdf": "pdf",
}
MAX_LINKS = 200


@dataclass(slots=True)
class Block:
    """A heading (``level`` ≥ 1) or a paragraph (``level`` 0) starting at ``offset``."""

    level: int
    text: str
    offset: int


@dataclass(slots=True)
class ParsedDoc:
    """What a parser found in one document."""

    title: str
    blocks: list[Block] = field(default_factory=list)
    links: list[str] = field(default_factory=list)

    @property
    def headings(self) -> list[str]:
        """Heading texts in document order."""
        return [b.text for b in self.blocks if b.level]

    @property
    def has_text(self) -> bool:
        """Whether any paragraph holds non-blank text."""
        return any(b.level == 0 and b.text.strip() for b in self.blocks)


class ParseError(ValueError):
    """The document cannot be read in its format (a skip reason, not a crash)."""


def parse(text: str, fmt: str, *, title_hint: str = "") -> ParsedDoc:
    """Parse ``text`` of format ``fmt`` (one of `FORMATS`, ``jsonl`` records as text)."""
    if fmt == "markdown":
        doc = parse_markdown(text)
    elif fmt == "rst":
        doc = parse_rst(text)
    elif fmt == "html":
        doc = parse_html(text)
    else:
        doc = parse_text(text)
    if title_hint and (not doc.title or fmt in ("text", "jsonl", "pdf")):
        doc.title = title_hint
    if not doc.title:
        doc.title = next((b.text[:120] for b in doc.blocks if b.text.strip()), "")
    doc.links = list(dict.fromkeys(doc.links))[:MAX_LINKS]
    return doc


# ---- plain text ----------------------------------------------------------------------
_BLANK = re.compile(r"\n[ \t]*\n+")


def parse_text(text: str) -> ParsedDoc:
    """Paragraphs separated by blank lines; the first line is the title."""
    blocks = []
    pos = 0
    for m in _BLANK.finditer(text + "\n\n"):
        para = text[pos : m.start()].strip()
        if para:
            blocks.append(Block(0, para, pos))
        pos = m.end()
    first = next((b.text.splitlines()[0].strip() for b in blocks), "")
    return ParsedDoc(title=first[:120], blocks=blocks, links=_URLS.findall(text))


# ---- Markdown --------------------------------------------------------------------------
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_MD_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_MD_REF = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.M)
_URLS = re.compile(r"https?://[^\s<>()\"'`\]]+[^\s<>()\"'`\].,;:!?]")


class _Paragraphs:
    """Collects lines into paragraph blocks with the offset of their first line."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.lines: list[str] = []
        self.start = 0

    def add(self, line: str, offset: int) -> None:
        if not self.lines:
            self.start = offset
        self.lines.append(line)

    def flush(self) -> None:
        text = "\n".join(self.lines).strip()
        if text:
            self.blocks.append(Block(0, text, self.start))
        self.lines = []


def parse_markdown(text: str) -> ParsedDoc:
    """ATX and setext headings, fenced code kept whole, paragraphs by blank lines."""
    out = _Paragraphs()
    offset = 0
    fence: str | None = None
    lines = text.splitlines(keepends=True)
    if lines and lines[0].strip() == "---":  # YAML front matter
        end = next((i for i, ln in enumerate(lines[1:], 1) if ln.strip() in ("---", "...")), 0)
        offset = sum(len(ln) for ln in lines[: end + 1]) if end else 0
        lines = lines[end + 1 :] if end else lines
    for raw in lines:
        line = raw.rstrip("\r\n")
        if fence is not None:
            out.add(line, offset)
            if line.lstrip().startswith(fence):
                fence = None
                out.flush()
        elif m := _FENCE.match(line):
            out.flush()
            fence = m.group(1)[0] * 3
            out.add(line, offset)
        elif m := _ATX.match(line):
            out.flush()
            heading = (m.group(2) or "").strip()
            if heading:
                out.blocks.append(Block(len(m.group(1)), _inline(heading), offset))
        elif (m := _SETEXT.match(line)) and len(out.lines) == 1 and out.lines[0].strip():
            level = 1 if m.group(1)[0] == "=" else 2
            out.blocks.append(Block(level, _inline(out.lines[0].strip()), out.start))
            out.lines = []
        elif not line.strip():
            out.flush()
        else:
            out.add(line, offset)
        offset += len(raw)
    out.flush()
    links = _MD_LINK.findall(text) + _MD_REF.findall(text) + _URLS.findall(text)
    title = next((b.text for b in out.blocks if b.level == 1), "") or next(
        (b.text for b in out.blocks if b.level), ""
    )
    return ParsedDoc(title=title[:200], blocks=out.blocks, links=links)


_INLINE = re.compile(r"[*_`]+|\[([^\]]*)\]\([^)]*\)")


def _inline(text: str) -> str:
    """Heading text without emphasis markers and link targets."""
    return _INLINE.sub(lambda m: m.group(1) or "", text).strip()


# ---- reStructuredText ------------------------------------------------------------------
_ADORN = re.compile(r"^([=\-~`:'\"^_*+#<>.])\1{2,}\s*$")
_RST_LINK = re.compile(r"`[^`<]*<([^>`]+)>`_{1,2}")
_RST_TARGET = re.compile(r"^\.\. _[^:]+:\s*(\S+)\s*$", re.M)


def parse_rst(text: str) -> ParsedDoc:
    """Section titles (underlined, optionally overlined) ranked by first appearance."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for ln in lines:
        starts.append(starts[-1] + len(ln))
    plain = [ln.rstrip("\r\n") for ln in lines]
    styles: list[tuple[str, bool]] = []
    out = _Paragraphs()
    i = 0
    while i < len(plain):
        line = plain[i]
        nxt = plain[i + 1] if i + 1 < len(plain) else ""
        over = _ADORN.match(line)
        if (
            over
            and i + 2 < len(plain)
            and plain[i + 1].strip()
            and _ADORN.match(plain[i + 2])
            and plain[i + 2][0] == line[0]
        ):
            out.flush()
            level = _level(styles, (line[0], True))
            out.blocks.append(Block(level, plain[i + 1].strip(), starts[i]))
            i += 3
            continue
        under = _ADORN.match(nxt)
        if line.strip() and not over and under and len(nxt.rstrip()) >= len(line.rstrip()) - 1:
            if not out.lines:  # a title stands alone: after a blank line or a heading
                out.blocks.append(Block(_level(styles, (nxt[0], False)), line.strip(), starts[i]))
                i += 2
                continue
        if not line.strip() or over:
            out.flush()
        elif line.startswith(".. ") and not line.startswith(".. code"):
            out.flush()  # comments, targets and directives are markup, not prose
        else:
            out.add(line, starts[i])
        i += 1
    out.flush()
    title = next((b.text for b in out.blocks if b.level), "")
    links = _RST_LINK.findall(text) + _RST_TARGET.findall(text) + _URLS.findall(text)
    return ParsedDoc(title=title[:200], blocks=out.blocks, links=links)


def _level(styles: list[tuple[str, bool]], style: tuple[str, bool]) -> int:
    if style not in styles:
        styles.append(style)
    return min(6, styles.index(style) + 1)


# ---- HTML ------------------------------------------------------------------------------
_BLOCK_TAGS = frozenset(
    "p div li pre blockquote td th dd dt section article main header footer table tr ul ol "
    "figcaption caption br hr".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "head"})


class _HTML(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self.links: list[str] = []
        self.title = ""
        self._buf: list[str] = []
        self._heading: int = 0
        self._skip = 0
        self._in_title = False
        self._in_pre = 0

    def _flush(self) -> None:
        text = "".join(self._buf)
        text = text.strip() if self._in_pre else re.sub(r"\s+", " ", text).strip()
        if text:
            self.blocks.append(Block(self._heading, text, self.getpos()[0]))
        self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "title":
            self._in_title = True
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._flush()
            self._heading = int(tag[1])
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag == "pre":
                self._in_pre += 1
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "title":
            self._in_title = False
        elif len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
            self._flush()
            self._heading = 0
        elif tag in _BLOCK_TAGS:
            self._flush()
            if tag == "pre":
                self._in_pre = max(0, self._in_pre - 1)

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data
        elif not self._skip:
            self._buf.append(data)


def parse_html(text: str) -> ParsedDoc:
    """Headings h1–h6, block elements as paragraphs, ``<title>``, ``<a href>`` links."""
    p = _HTML()
    try:
        p.feed(text)
        p.close()
    except (AssertionError, ValueError) as exc:  # html.parser gives up on some broken markup
        raise ParseError(f"unreadable HTML: {exc}") from exc
    p._flush()
    # Offsets: html.parser reports lines; map them to character offsets.
    starts = [0]
    for ln in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(ln))
    for b in p.blocks:
        b.offset = starts[min(max(b.offset - 1, 0), len(starts) - 1)]
    title = re.sub(r"\s+", " ", p.title).strip() or next(
        (b.text for b in p.blocks if b.level == 1), ""
    )
    return ParsedDoc(title=title[:200], blocks=p.blocks, links=p.links)


# ---- PDF -------------------------------------------------------------------------------
def pdf_text(data: bytes) -> str:
    """The text of a PDF, page by page (needs `pypdf`: ``pip install 'argo-agents[pdf]'``)."""
    try:
        from pypdf import PdfReader
    except ImportError as exc:
        raise ParseError(
            "PDF needs the `pypdf` package: pip install 'argo-agents[pdf]' (or pypdf)"
        ) from exc
    import io

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ParseError(f"unreadable PDF: {type(exc).__name__}: {exc}") from exc
    return "\n\n".join(p.strip() for p in pages if p.strip())
