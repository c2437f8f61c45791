"""Charts of the analytic queries as one self-contained HTML file (inline SVG, no scripts).

No plotting library: the three charts are simple shapes, and a file that opens
anywhere, offline, is what an operator mails around.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

WIDTH, BAR_H, GAP, LABEL_W = 640, 22, 8, 180


def bar_chart(title: str, rows: Sequence[dict[str, Any]], label: str, value: str) -> str:
    """A horizontal bar chart of ``value`` per ``label`` (an SVG element)."""
    values = [float(r.get(value) or 0) for r in rows]
    top = max(values, default=0) or 1.0
    height = len(rows) * (BAR_H + GAP) + 40
    parts = [f'<h2>{html.escape(title)}</h2><svg width="{WIDTH}" height="{height}">']
    for i, (row, v) in enumerate(zip(rows, values, strict=True)):
        y = 10 + i * (BAR_H + GAP)
        w = (WIDTH - LABEL_W - 80) * v / top
        name = html.escape(str(row.get(label)))
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="13">{name}</text>'
            f'<rect x="{LABEL_W}" y="{y}" width="{w:.1f}" height="{BAR_H}" fill="#4a7bd0"/>'
            f'<text x="{LABEL_W + w + 6:.1f}" y="{y + 15}" font-size="13">{v:g}</text>'
        )
    if not rows:
        parts.append('<text x="0" y="20" font-size="13">no data in the window</text>')
    parts.append("</svg>")
    return "".join(parts)


def network_chart(title: str, pairs: Sequence[dict[str, Any]]) -> str:
    """Agents on a circle, an edge per pair, its width by the number of interactions."""
    agents = sorted({str(p["agent1"]) for p in pairs} | {str(p["agent2"]) for p in pairs})
    size, radius = 480, 180
    at = {
        a: (
            size / 2 + radius * math.cos(2 * math.pi * i / max(1, len(agents))),
            size / 2 + radius * math.sin(2 * math.pi * i / max(1, len(agents))),
        )
        for i, a in enumerate(agents)
    }
    most = max((int(p["interactions"]) for p in pairs), default=1) or 1
    parts = [f'<h2>{html.escape(title)}</h2><svg width="{size}" height="{size}">']
    for p in pairs:
        (x1, y1), (x2, y2) = at[str(p["agent1"])], at[str(p["agent2"])]
        w = 1 + 7 * int(p["interactions"]) / most
        parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="#999" stroke-width="{w:.1f}"><title>{int(p["interactions"])}</title></line>'
        )
    for a, (x, y) in at.items():
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="8" fill="#d0664a"/>'
            f'<text x="{x + 10:.1f}" y="{y + 4:.1f}" font-size="13">{html.escape(a)}</text>'
        )
    if not pairs:
        parts.append('<text x="0" y="20" font-size="13">no collaborations in the window</text>')
    parts.append("</svg>")
    return "".join(parts)


def report_html(
    performance: Sequence[dict[str, Any]],
    workload: Sequence[dict[str, Any]],
    pairs: Sequence[dict[str, Any]],
) -> str:
    """The three charts on one page."""
    body = "".join(
        [
            bar_chart(
                "Agent performance: successful activities (7 days)",
                performance,
                "agent_id",
                "successful_activities",
            ),
            bar_chart(
                "Agent workload: tasks per hour (24 hours)", workload, "agent_id", "tasks_per_hour"
            ),
            network_chart("Collaboration network (30 days)", pairs),
        ]
    )
    return (
        '<!doctype html><html><head><meta charset="utf-8"><title>ARGO analytics</title>'
        "<style>body{font-family:sans-serif;margin:2em}</style></head>"
        f"<body><h1>ARGO analytics</h1>{body}</body></html>"
    )
