"""Plots as inline SVG, drawn with matplotlib.

matplotlib is imported here only, when a page is drawn: practice never pays
for it. The Agg/SVG canvas is used directly (no pyplot, no display, no global
figure state), with a fixed hash salt and no date so the same take gives
the same bytes. Colours are Okabe-Ito; every mark also has a label or a
pattern, and every plot a table beside it on the page.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # matplotlib itself is imported only when a plot is drawn
    from matplotlib.typing import RcKeyType

BLUE, SKY, GREEN, ORANGE = "#0072B2", "#56B4E9", "#009E73", "#E69F00"
VERMILLION, PURPLE, GREY, INK = "#D55E00", "#CC79A7", "#999999", "#1a1a1a"
CONF_HIGH, CONF_MID = 0.9, 0.6  # recogniser confidence bands (also in the wording)

_RC: dict[RcKeyType, Any] = {
    "svg.hashsalt": "heard-report",
    "svg.fonttype": "none",  # text stays text: smaller, selectable, sharp when printed
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#555555",
    "axes.labelcolor": INK,
    "xtick.color": "#333333",
    "ytick.color": "#333333",
    "path.simplify": True,
}


def conf_band(conf: float | None) -> str:
    if conf is None or conf >= CONF_HIGH:
        return "high"
    return "mid" if conf >= CONF_MID else "low"


CONF_COLOUR = {"high": BLUE, "mid": "#8a5a00", "low": VERMILLION}


def _new(width_in: float, height_in: float, rows: int = 1, **kw):
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width_in, height_in), layout="constrained")
        axes = fig.subplots(rows, 1, squeeze=False, **kw)[:, 0]
    return fig, list(axes)


def to_svg(fig, ident: str, title: str) -> str:
    """The figure as an inline <svg> element with ids made unique to ``ident``."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buf = io.StringIO()
    with matplotlib.rc_context(_RC), warnings.catch_warnings():
        # Text stays text in the SVG; the browser draws it with its own fonts,
        # so a glyph missing from matplotlib's font (Korean words) is no matter.
        warnings.filterwarnings("ignore", "Glyph .* missing", UserWarning)
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None,
                                                 "Format": None, "Type": None})
    svg = buf.getvalue()
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    # Several plots share a page: give every id this plot's prefix.
    svg = re.sub(r'id="([^"]+)"', lambda m: f'id="{ident}-{m.group(1)}"', svg)
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{ident}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{ident}-{m.group(1)}"', svg)
    from html import escape

    head_end = svg.index(">") + 1
    svg = (svg[:head_end - 1] + f' role="img" aria-labelledby="{ident}-title">'
           f'<title id="{ident}-title">{escape(title)}</title>' + svg[head_end:])
    return svg


def _nan(v) -> float:
    return math.nan if v is None else float(v)


# -- one take -------------------------------------------------------------------

def timeline_svg(take: dict, ident: str, labels: dict) -> str:
    """Wait bar, speech and pauses, end of turn, words by confidence, findings numbered."""
    tl = take["timeline"]
    pace = take["pacing"]
    words = [w for w in take["transcript"]["words"] if w.get("start") is not None]
    end = max(tl.get("duration_s") or 0.0, tl.get("end_of_turn") or 0.0, 0.5)
    fig, (ax,) = _new(8.0, 2.9)
    ax.set_xlim(0, end)
    timed = [f for f in take["findings"] if f.get("start") is not None and f.get("end") is not None]
    low = -0.45 - 0.22 * max(0, len(timed) - 1)
    ax.set_ylim(low - 0.1, 4.2)
    ax.set_yticks([0, 1, 2.4], [labels["wait"], labels["speech"], ""])
    ax.set_xlabel("s")
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    wait = pace.get("wait_s")
    if wait is not None:
        bar = ax.barh(0, wait, height=0.6, color=ORANGE, edgecolor=INK, linewidth=0.5)
        bar.patches[0].set_gid("wait-bar")
        ax.text(wait, 0, f" {wait:.1f} s", va="center", ha="left", color=INK)
    segs = tl.get("segments") or []
    for i, (a, b) in enumerate(segs):
        p = ax.barh(1, b - a, left=a, height=0.6, color=BLUE, edgecolor=INK, linewidth=0.5)
        p.patches[0].set_gid(f"speech-{i}")
        if i:  # the pause before this burst: hatched, not just a gap of colour
            gap = segs[i - 1][1]
            ax.barh(1, a - gap, left=gap, height=0.3, color="white", edgecolor=GREY,
                    hatch="///", linewidth=0.5)
    eot = tl.get("end_of_turn")
    if eot is not None:
        line = ax.axvline(eot, color=INK, linestyle="--", linewidth=1)
        line.set_gid("end-of-turn")
        ax.text(eot, 4.1, f" {labels['end_of_turn']}", va="top", ha="left", fontsize=8)
    for i, w in enumerate(words):
        band = conf_band(w.get("conf"))
        ax.text(w["start"], 2.0 + 0.55 * (i % 3), w["word"] + ("?" if band == "low" else ""),
                color=CONF_COLOUR[band], fontsize=8.5, ha="left", va="center",
                style="italic" if band == "low" else "normal",
                weight="bold" if band == "high" else "normal")
    row = 0
    for n, f in enumerate(take["findings"], 1):
        if f.get("start") is None or f.get("end") is None:
            continue
        y = -0.45 - 0.22 * row
        row += 1
        colour = BLUE if f["kind"] == "strength" else VERMILLION
        ax.plot([f["start"], f["end"]], [y, y], color=colour, linewidth=2.5,
                solid_capstyle="butt")
        ax.text(f["start"] - 0.02 * end, y, str(n), color=colour, fontsize=7.5, ha="right",
                va="center")
    return to_svg(fig, ident, labels["title"])


def voice_svg(take: dict, ident: str, labels: dict) -> str:
    """Pitch contour over loudness, against the calm band when calibrated."""
    tl = take["timeline"]
    step = tl["step_s"]
    n = len(tl["pitch_st"])
    times = [(i + 0.5) * step for i in range(n)]
    fig, (ax_p, ax_l) = _new(8.0, 3.4, rows=2, sharex=True)
    calm = tl.get("calm")
    for ax, key, name, colour in ((ax_p, "pitch_st", labels["pitch"], BLUE),
                                  (ax_l, "loudness_db", labels["loudness"], VERMILLION)):
        if calm:
            lo, hi = calm[key]
            band = ax.axhspan(lo, hi, color=SKY, alpha=0.25, linewidth=0)
            band.set_gid(f"calm-{key}")
            ax.axhline(0, color=SKY, linewidth=1)
        (line,) = ax.plot(times, [_nan(v) for v in tl[key]], color=colour, linewidth=1.6,
                          marker="." if key == "pitch_st" else None, markersize=2)
        line.set_gid("pitch-line" if key == "pitch_st" else "loudness-line")
        ax.set_ylabel(name)
    ax_l.set_xlabel("s")
    ax_l.set_xlim(0, max(tl.get("duration_s") or 0.0, step))
    return to_svg(fig, ident, labels["title"])


# -- progress -------------------------------------------------------------------

def series_svg(ident: str, title: str, xlabels: list[str], series: list[tuple[str, list, str]]
               ) -> str:
    """Small multiples, one panel per series: points joined take by take."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = _new(8.0, 1.5 * len(series) + 0.4, rows=len(series), sharex=True)
    xs = list(range(len(xlabels)))
    for ax, (name, values, colour) in zip(axes, series):
        ax.plot(xs, [_nan(v) for v in values], color=colour, marker="o", markersize=3.5,
                linewidth=1.4)
        ax.set_ylabel(name)
        ax.set_ylim(bottom=0)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    step = max(1, len(xs) // 10)
    axes[-1].set_xticks(xs[::step], xlabels[::step], rotation=0)
    return to_svg(fig, ident, title)


def area_bars_svg(ident: str, title: str, days: list[str], areas: list[tuple[str, list, list]]
                  ) -> str:
    """Per area, strengths (up, blue) and concerns (down, vermillion, hatched) per day."""
    from matplotlib.ticker import MaxNLocator

    fig, axes = _new(8.0, 1.4 * len(areas) + 0.5, rows=len(areas), sharex=True)
    xs = list(range(len(days)))
    for ax, (name, good, bad) in zip(axes, areas):
        ax.bar(xs, good, color=BLUE, width=0.6, label="✓")
        ax.bar(xs, [-b for b in bad], color=VERMILLION, width=0.6, hatch="//",
               edgecolor="white", label="△")
        ax.axhline(0, color=INK, linewidth=0.6)
        ax.set_ylabel(name)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    step = max(1, len(xs) // 10)
    axes[-1].set_xticks(xs[::step], days[::step])
    return to_svg(fig, ident, title)


def hbars_svg(ident: str, title: str, names: list[str], values: Sequence[float],
              colours: list[str], unit: str = "") -> str:
    """Horizontal bars with the value written at each bar's end."""
    fig, (ax,) = _new(8.0, 0.32 * len(names) + 0.7)
    ys = list(range(len(names)))[::-1]
    hatches = ["//" if c == VERMILLION else None for c in colours]
    for y, v, c, h in zip(ys, values, colours, hatches):
        ax.barh(y, v, color=c, hatch=h, edgecolor="white", height=0.7)
        ax.text(v, y, f" {v:g}{unit}", va="center", ha="left", fontsize=8)
    ax.set_yticks(ys, names)
    from matplotlib.ticker import MaxNLocator

    top = max(values or [1]) or 1
    ax.set_xlim(0, min(top * 1.2, 115) if unit.strip() == "%" else top * 1.2)
    if unit.strip() != "%":
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.spines["left"].set_visible(False)
    ax.tick_params(axis="y", length=0)
    return to_svg(fig, ident, title)
