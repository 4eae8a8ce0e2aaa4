"""Progress over many takes: wait, words, speaking time and findings, strengths first."""

from __future__ import annotations

from collections import Counter, defaultdict
from statistics import median

from heard.analysis.findings import CATALOGUE
from heard.report.page import esc, figure, frame, load_wording, table
from heard.report.plots import BLUE, ORANGE, VERMILLION, area_bars_svg, series_svg
from heard.report.records import local_day
from heard.store.history import TakeRecord

AREAS = ("word_choice", "pacing", "tone")


def _kind(fid: str) -> str:
    return CATALOGUE.get(fid, ("concern", ""))[0]


def _area(fid: str) -> str:
    return CATALOGUE.get(fid, ("", "word_choice"))[1]


def _num(rec: TakeRecord, key: str):
    v = (rec.metrics.get("pacing") or {}).get(key) if isinstance(rec.metrics, dict) else None
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def _med(values) -> float | None:
    vals = [v for v in values if v is not None]
    return round(median(vals), 1) if vals else None


def progress_page(takes: list[TakeRecord]) -> str:
    """``takes`` oldest first (not empty)."""
    from heard.store.history import load_wording as history_wording

    w = load_wording()
    phrases = history_wording()
    g = lambda key, **kw: w.get("progress", key, **kw)  # noqa: E731
    n = len(takes)
    first, last = local_day(takes[0].created), local_day(takes[-1].created)
    counts = Counter(f for t in takes for f in set(t.findings))
    parts = []
    for kind, heading in (("strength", "strengths_heading"), ("concern", "concerns_heading")):
        ids = [f for f, _ in counts.most_common() if _kind(f) == kind]
        items = "".join(f'<li class="{kind}"><span class="kind-{kind}">'
                        f'{esc(g("finding_line", phrase=phrases.phrase(f), count=counts[f], takes=n))}'
                        "</span></li>" for f in ids)
        parts.append(f'<h2 id="{kind}s">{esc(g(heading))}</h2>')
        parts.append(f'<ul class="findings">{items}</ul>' if items else f"<p>{esc(g('none_yet'))}</p>")

    # Wait, words and speaking time per take.
    xl = [f"#{t.id}" if t.id is not None else str(i + 1) for i, t in enumerate(takes)]
    waits = [_num(t, "wait_s") for t in takes]
    words = [_num(t, "words") for t in takes]
    speech = [_num(t, "speech_s") for t in takes]
    svg = series_svg("progress-series", g("trend_heading"), xl,
                     [(g("col_wait"), waits, ORANGE), (g("col_words"), words, BLUE),
                      (g("col_speech"), speech, VERMILLION)])
    rows = [[xl[i], local_day(t.created), t.scenario, waits[i], words[i], speech[i]]
            for i, t in enumerate(takes)]
    tab = table(g("trend_heading"), [g("col_take"), g("col_date"), g("col_scenario"),
                                     g("col_wait"), g("col_words"), g("col_speech")],
                rows, numeric={3, 4, 5})
    parts += [f"<h2>{esc(g('trend_heading'))}</h2>",
              figure(svg, g("trend_caption"), "progress-series-fig", tab)]

    # Findings per area per day.
    days = sorted({local_day(t.created) for t in takes})
    per: dict[str, tuple[defaultdict[str, int], defaultdict[str, int]]] = {
        a: (defaultdict(int), defaultdict(int)) for a in AREAS}
    for t in takes:
        d = local_day(t.created)
        for f in t.findings:
            good, bad = per[_area(f)] if _area(f) in per else per["word_choice"]
            (good if _kind(f) == "strength" else bad)[d] += 1
    areas = [(g(f"area_{a}"), [per[a][0][d] for d in days], [per[a][1][d] for d in days])
             for a in AREAS]
    svg = area_bars_svg("progress-areas", g("areas_heading"), days, areas)
    rows = [[d, name, good[i], bad[i]] for i, d in enumerate(days) for name, good, bad in areas]
    tab = table(g("areas_heading"), [g("col_date"), g("col_area"), g("col_strengths"),
                                     g("col_concerns")], rows, numeric={2, 3})
    parts += [f"<h2>{esc(g('areas_heading'))}</h2>",
              figure(svg, g("areas_caption"), "progress-areas-fig", tab)]

    # Per scenario, the strengths first.
    by: dict[str, list[TakeRecord]] = defaultdict(list)
    for t in takes:
        by[t.scenario].append(t)
    rows = []
    for sid, ts in sorted(by.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        c = Counter(f for t in ts for f in set(t.findings))
        best = next((phrases.phrase(f) for f, _ in c.most_common() if _kind(f) == "strength"), None)
        work = next((phrases.phrase(f) for f, _ in c.most_common() if _kind(f) == "concern"), None)
        rows.append([sid, len(ts), best, work, _med(_num(t, "wait_s") for t in ts),
                     _med(_num(t, "words") for t in ts), _med(_num(t, "speech_s") for t in ts)])
    parts += [f"<h2>{esc(g('scenario_heading'))}</h2>",
              table(g("scenario_heading"), [g("col_scenario"), g("col_takes"), g("col_best"),
                                            g("col_work"), g("col_wait"), g("col_words"),
                                            g("col_speech")], rows, numeric={1, 4, 5, 6})]
    return frame(w, g("title"), g("subtitle", takes=n, first=first, last=last), "\n".join(parts))
