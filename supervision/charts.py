"""Charts drawn on the server as inline SVG (no script, no CDN). Every chart is shown next to the
table of its numbers; the SVG carries a title and a description for assistive technologies."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from supervision import formatting as fmt

BAND_COLOURS = {
    "CONFORME": "#18753c",
    "EN_PROGRES": "#0063cb",
    "INSUFFISANT": "#b34000",
    "CRITIQUE": "#ce0500",
    "NON_CALCULABLE": "#666666",
}


def sparkline(
    values: Sequence[float | None], *, title: str, width: int = 120, height: int = 28
) -> SafeString:
    """A small trend line of scores (0-100) over quarters; gaps for missing quarters."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return mark_safe(  # noqa: S308 - only escaped text
            f'<span class="fr-text--xs">{escape("Aucun score")}</span>'
        )
    desc = " ; ".join(_shown(v) for v in values)
    step = width / max(len(values) - 1, 1)
    coords = " ".join(
        f"{i * step:.1f},{height - 2 - (float(v) / 100) * (height - 4):.1f}" for i, v in points
    )
    last_x, last_v = points[-1]
    cy = height - 2 - (float(last_v) / 100) * (height - 4)
    svg = (
        f'<svg role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f"<desc>{escape(desc)}</desc>"
        f'<polyline fill="none" stroke="#000091" stroke-width="2" points="{coords}"/>'
        f'<circle cx="{last_x * step:.1f}" cy="{cy:.1f}" r="3" fill="#000091"/></svg>'
    )
    return mark_safe(svg)  # noqa: S308 - numbers and escaped text only


def _shown(value: float | None) -> str:
    """A score in French for an SVG description, or a dash when the quarter has none."""
    return fmt.DASH if value is None else fmt.decimal(value)


def _described(labels: Sequence[str], values: Sequence[float | None]) -> str:
    """« 2026-T1 : 45,3 ; 2026-T2 : — »: the numbers in French, for the SVG description."""
    return " ; ".join(f"{lab} : {_shown(v)}" for lab, v in zip(labels, values, strict=False))


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    title: str,
    width: int = 640,
    height: int = 220,
) -> SafeString:
    """Score (0-100) over quarters, with the band thresholds (40, 60, 80) as guides."""
    left, right, top, bottom = 36, 12, 12, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(len(values) - 1, 1)

    def y(v: float) -> float:
        return top + plot_h - (v / 100) * plot_h

    parts = [
        f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" style="max-width:{width}px">'
        f"<title>{escape(title)}</title>"
        f"<desc>{escape(_described(labels, values))}</desc>"
    ]
    for guide in (0, 40, 60, 80, 100):
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(guide):.1f}" y2="{y(guide):.1f}" '
            f'stroke="#dddddd" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(guide) + 4:.1f}" font-size="11" text-anchor="end" '
            f'fill="#3a3a3a">{guide}</text>'
        )
    pts = [(left + i * step, y(float(v))) for i, v in enumerate(values) if v is not None]
    if pts:
        parts.append(
            '<polyline fill="none" stroke="#000091" stroke-width="2.5" points="'
            + " ".join(f"{x:.1f},{yy:.1f}" for x, yy in pts)
            + '"/>'
        )
        parts.extend(
            f'<circle cx="{x:.1f}" cy="{yy:.1f}" r="3.5" fill="#000091"/>' for x, yy in pts
        )
    every = max(1, len(labels) // 8)
    for i, lab in enumerate(labels):
        if i % every == 0 or i == len(labels) - 1:
            parts.append(
                f'<text x="{left + i * step:.1f}" y="{height - 8}" font-size="11" '
                f'text-anchor="middle" fill="#3a3a3a">{escape(lab)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


def bar_chart(items: Sequence[tuple[str, int, str]], *, title: str, width: int = 640) -> SafeString:
    """Horizontal bars: (label, count, colour)."""
    row_h, left = 26, 150
    height = row_h * len(items) + 8
    top = max([c for _, c, _ in items] + [1])
    parts = [
        f'<svg role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'xmlns="http://www.w3.org/2000/svg" style="max-width:{width}px">'
        f"<title>{escape(title)}</title>"
        f"<desc>{escape(', '.join(f'{lab} : {c}' for lab, c, _ in items))}</desc>"
    ]
    for i, (lab, count, colour) in enumerate(items):
        y0 = 4 + i * row_h
        w = (width - left - 40) * count / top
        parts.append(
            f'<text x="{left - 8}" y="{y0 + 16}" font-size="12" text-anchor="end" '
            f'fill="#161616">{escape(lab)}</text>'
            f'<rect x="{left}" y="{y0 + 3}" width="{w:.1f}" height="{row_h - 8}" '
            f'fill="{escape(colour)}"/>'
            f'<text x="{left + w + 6:.1f}" y="{y0 + 16}" font-size="12" fill="#161616">'
            f"{count}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only
