"""Chunking along the document's structure: sections by heading, paragraphs packed under a limit.

A chunk never spans two sections, so its heading path says where it comes
from. Within a section, paragraphs are packed up to ``max_chars``; a paragraph
longer than that is cut at sentence ends, then at spaces. Each chunk after the
first of a section starts with the last ``overlap`` characters (whole words) of
the one before it, so a sentence cut at a boundary is still found whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from argo_agents.ingest.parsers import Block

_SENTENCE = re.compile(r"(?<=[.!?。])\s+")


@dataclass(frozen=True, slots=True)
class ChunkDraft:
    """A chunk's text, its heading path, its index in the document and where it starts."""

    text: str
    headings: tuple[str, ...]
    position: int
    offset: int

    @property
    def heading(self) -> str:
        """The heading path as one line: ``Install › From source``."""
        return " › ".join(self.headings)


def chunk_blocks(
    blocks: list[Block], max_chars: int = 1200, overlap: int = 150
) -> list[ChunkDraft]:
    """Cut parsed blocks into chunks (see the module docstring)."""
    overlap = min(overlap, max_chars // 3)
    chunks: list[ChunkDraft] = []
    path: list[tuple[int, str]] = []
    section: list[Block] = []

    def close_section() -> None:
        if section:
            heads = tuple(t for _, t in path)
            for text, offset in _pack(section, max_chars, overlap):
                chunks.append(ChunkDraft(text, heads, len(chunks), offset))
            section.clear()

    for block in blocks:
        if block.level:
            close_section()
            while path and path[-1][0] >= block.level:
                path.pop()
            path.append((block.level, block.text))
        elif block.text.strip():
            section.append(block)
    close_section()
    return chunks


def _pieces(block: Block, max_chars: int) -> Iterator[tuple[str, int]]:
    """The block itself, or its sentences (or word runs) when it is over ``max_chars``."""
    text = block.text
    if len(text) <= max_chars:
        yield text, block.offset
        return
    pos = 0
    for sentence in _SENTENCE.split(text):
        found = text.find(sentence, pos)
        start = block.offset + max(found, 0)
        pos = max(found, 0) + len(sentence)
        while len(sentence) > max_chars:
            cut = sentence.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            yield sentence[:cut].rstrip(), start
            start += cut
            sentence = sentence[cut:].lstrip()
        if sentence:
            yield sentence, start


def _tail(text: str, overlap: int) -> str:
    """The last ``overlap`` characters of ``text``, starting at a word."""
    if overlap <= 0 or len(text) <= overlap:
        return ""
    tail = text[-overlap:]
    space = tail.find(" ")
    return tail[space + 1 :] if 0 <= space < len(tail) - 1 else tail


def _pack(section: list[Block], max_chars: int, overlap: int) -> list[tuple[str, int]]:
    """Pack a section's pieces; pieces of one paragraph join with a space, paragraphs with a
    blank line."""
    out: list[tuple[str, int]] = []
    text, start, last = "", 0, -1
    for n, block in enumerate(section):
        for piece, offset in _pieces(block, max_chars):
            sep = "" if not text else (" " if n == last else "\n\n")
            if text and len(text) + len(sep) + len(piece) > max_chars:
                out.append((text, start))
                tail = _tail(text, overlap)
                keep = tail and len(tail) + 1 + len(piece) <= max_chars
                text, start, sep = (tail, offset, " ") if keep else ("", offset, "")
            if not text:
                start = offset
            text += sep + piece
            last = n
    if text:
        out.append((text, start))
    return out
