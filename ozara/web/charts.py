"""Charts as inline SVG, drawn on the server: no script, nothing fetched (the page's CSP
allows neither), readable by a screen reader through each chart's title and table."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_BAR = "#0b4f8a"


def bar_chart(title: str, items: Sequence[tuple[str, float]], unit: str = "") -> str:
    """Horizontal bars, one per (label, value), with the value printed at the bar's end."""
    width, bar_h, gap, label_w = 560, 20, 6, 150
    height = max(1, len(items)) * (bar_h + gap) + 30
    top = max((v for _, v in items), default=0) or 1
    parts = [
        f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = 26 + i * (bar_h + gap)
        w = (width - label_w - 60) * value / top
        parts += [
            f'<text x="0" y="{y + 15}" font-size="13">{escape(label)}</text>',
            f'<rect x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{_BAR}"/>',
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" font-size="13">'
            f"{value:g}{escape(unit)}</text>",
        ]
    parts.append("</svg>")
    return "".join(parts)


def histogram(title: str, values: Sequence[float], bins: Sequence[float], unit: str) -> str:
    """Counts of ``values`` in [bins[i], bins[i+1]), the last bin open-ended."""
    counts = [0] * len(bins)
    for v in values:
        index = max(i for i, edge in enumerate(bins) if v >= edge) if v >= bins[0] else 0
        counts[index] += 1
    labels = [
        f"{bins[i]:g}–{bins[i + 1]:g} {unit}" if i + 1 < len(bins) else f"≥ {bins[i]:g} {unit}"
        for i in range(len(bins))
    ]
    return bar_chart(title, list(zip(labels, counts, strict=True)))
