"""Parsing, chunking, metadata, walking and preparing documents (no stores)."""

from __future__ import annotations

import os
from pathlib import Path

from argo_agents.ingest.chunking import chunk_blocks
from argo_agents.ingest.metadata import doc_id_for, file_uri, guess_language
from argo_agents.ingest.parsers import parse
from argo_agents.ingest.prepare import PrepareConfig, Preparer
from argo_agents.ingest.search import distinctive_words, snippet
from argo_agents.ingest.sources import FileItem, RecordItem, Skip, scope_of, walk
from argo_agents.stores.embeddings import HashingEmbedder

MD = """---
title: front matter
---
# Guide

Intro with a [link](other.md) and https://example.com/page.

## Install

Run it.

```
# a comment, not a heading
```

Setext
------

Under setext.
"""


def test_markdown_structure_links_and_code_fences():
    doc = parse(MD, "markdown")
    assert doc.title == "Guide"
    assert doc.headings == ["Guide", "Install", "Setext"]
    assert doc.links == ["other.md", "https://example.com/page."[:-1]]
    chunks = chunk_blocks(doc.blocks, 1200, 100)
    assert [c.headings for c in chunks] == [("Guide",), ("Guide", "Install"), ("Guide", "Setext")]
    assert "# a comment" in chunks[1].text
    assert [c.position for c in chunks] == [0, 1, 2]
    assert MD[chunks[2].offset :].startswith("Under setext")


def test_rst_html_and_text():
    rst = "=====\nTitle\n=====\n\nIntro.\n\nPart\n----\n\nSee `docs <https://x.org>`_.\n"
    doc = parse(rst, "rst")
    assert (doc.title, doc.headings, doc.links) == ("Title", ["Title", "Part"], ["https://x.org"])
    html = (
        "<html><head><title>Page</title><script>var x</script></head><body>"
        "<h1>Top</h1><p>Para <a href='b.html'>b</a></p><h2>Sub</h2><li>item</li></body></html>"
    )
    doc = parse(html, "html")
    assert (doc.title, doc.headings, doc.links) == ("Page", ["Top", "Sub"], ["b.html"])
    assert [b.text for b in doc.blocks if not b.level] == ["Para b", "item"]
    assert parse("First line\nmore\n\nSecond para", "text").title == "First line"


def test_long_sections_are_cut_under_the_limit_with_overlap():
    body = " ".join(f"Sentence {i} says something." for i in range(400))
    chunks = chunk_blocks(parse(f"# H\n\n{body}\n\nLast.", "markdown").blocks, 1000, 120)
    assert len(chunks) > 5
    assert all(len(c.text) <= 1000 for c in chunks)
    for a, b in zip(chunks, chunks[1:], strict=False):
        assert a.text[-60:].split()[-1] in b.text[:200]  # overlap carries the last words
    assert chunks[-1].text.endswith("Last.")


def test_language_and_ids():
    assert guess_language("The cache is warm and the keys of the service are in memory.") == "en"
    assert guess_language("Der Dienst ist nicht mit den Schlüsseln von der Datenbank.") == "de"
    assert guess_language("x y z") == "und"
    uri = file_uri("/tmp/a.md")
    assert doc_id_for(uri) == doc_id_for(uri) != doc_id_for(file_uri("/tmp/b.md"))


def test_walk_reports_bad_inputs_and_expands_records(tmp_path: Path):
    (tmp_path / "a.md").write_text("# A\n\ntext")
    (tmp_path / "ignored.bin").write_bytes(b"\x00")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    os.symlink(tmp_path, tmp_path / "sub" / "loop")
    (tmp_path / "r.jsonl").write_text('{"id": 7, "text": "seven"}\n\n[1]\n')
    items = list(walk([str(tmp_path), str(tmp_path / "missing")], 1000))
    kinds = [(type(i).__name__, os.path.basename(i.path)) for i in items]
    assert kinds == [
        ("FileItem", "a.md"),
        ("RecordItem", "r.jsonl:1"),
        ("Skip", "r.jsonl:3"),
        ("Skip", "loop"),
        ("FileItem", "b.txt"),
        ("Skip", "missing"),
    ]
    record = items[1]
    assert isinstance(record, RecordItem) and record.uri.endswith("r.jsonl#7")
    assert [i.reason for i in items if isinstance(i, Skip)] == [
        "invalid_record",
        "symlink_loop",
        "not_found",
    ]
    assert sum(1 for _ in walk([str(tmp_path)], 1000, records=False)) == len(items) - 1
    glob_items = list(walk([str(tmp_path / "*.md")], 1000))
    assert [os.path.basename(i.path) for i in glob_items] == ["a.md"]
    scope = scope_of([str(tmp_path / "sub"), str(tmp_path / "*.md")])
    assert scope.covers(file_uri(str(tmp_path / "sub" / "x.txt")))
    assert scope.covers(file_uri(str(tmp_path / "z.md")))
    assert not scope.covers(file_uri(str(tmp_path / "z.txt")))


def test_prepare_skips_unchanged_and_links_documents(tmp_path: Path):
    (tmp_path / "a.md").write_text("# A\n\nSee [b](b.md) and [missing](nope.md).\n")
    (tmp_path / "b.md").write_text("# B\n\nBody of b.\n")
    (tmp_path / "bad.md").write_bytes(b"\xff\xfe not utf8 \xc3")
    cfg = PrepareConfig(1200, 150, 1 << 20, "HashingEmbedder:16:", scope_of([str(tmp_path)]))
    prep = Preparer(cfg, HashingEmbedder(16))
    items = [
        FileItem(str(tmp_path / n), file_uri(str(tmp_path / n)), "markdown")
        for n in ("a.md", "b.md", "bad.md")
    ]
    first = prep.run(items, {})
    assert [d.doc["title"] for d in first.docs] == ["A", "B"]
    assert [(s.reason) for s in first.skips] == ["invalid_utf8"]
    a = first.docs[0]
    b_id = doc_id_for(file_uri(str(tmp_path / "b.md")))
    assert {"type": "LINKS_TO", "label": "Document", "id": b_id} in a.doc["relations"]
    assert len(a.chunks[0]["embedding"]) == 16 and a.chunks[0]["heading"] == "A"
    again = prep.run(items, {d.doc_id: d.fingerprint for d in first.docs})
    assert (again.docs, len(again.unchanged)) == ([], 2)


def test_snippet_picks_the_passage_with_the_query_words():
    text = "Intro sentence. The eviction policy allkeys-lru drops keys. Unrelated end."
    assert snippet(text, "which eviction policy drops keys?", size=60).startswith("The eviction")


def test_distinctive_words_are_the_long_uncommon_ones_longest_first():
    words = distinctive_words("How does Morrowgate autovacuum prevent the wraparound? How?")
    assert words == ["autovacuum", "morrowgate", "wraparound", "prevent"]
    assert distinctive_words("what is it?") == []
    assert len(distinctive_words(" ".join(f"word{i:02d}" for i in range(20)))) == 6


def _pdf(text: str) -> bytes:
    """A minimal one-page PDF showing ``text`` (offsets in the xref computed)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objs = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = b"%PDF-1.4\n", []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    return out + b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objs) + 1,
        xref,
    )


def test_pdf_text_is_ingested_and_a_damaged_pdf_is_skipped(tmp_path: Path):
    import pytest

    pytest.importorskip("pypdf")
    (tmp_path / "report.pdf").write_bytes(_pdf("Quarterly report on cache latency"))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really")
    items = [i for i in walk([str(tmp_path)], 1 << 20) if isinstance(i, FileItem)]
    cfg = PrepareConfig(1200, 150, 1 << 20, "k", scope_of([str(tmp_path)]))
    result = Preparer(cfg, HashingEmbedder(16)).run(items, {})
    assert [d.doc["title"] for d in result.docs] == ["Quarterly report on cache latency"]
    assert [(os.path.basename(s.path), s.reason) for s in result.skips] == [
        ("broken.pdf", "unreadable")
    ]
