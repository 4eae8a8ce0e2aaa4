"""A kiosk day for staff: visitors, takes, scenarios, share of each finding.

Built from numbers and finding ids only: a kiosk's anonymous history holds
no words, and this page never shows any even when the history does.
"""

from __future__ import annotations

from collections import Counter

from heard.analysis.findings import CATALOGUE
from heard.report.page import esc, figure, frame, load_wording, table
from heard.report.plots import BLUE, VERMILLION, hbars_svg
from heard.store.history import TakeRecord


def kiosk_page(day: str, takes: list[TakeRecord]) -> str:
    from heard.store.history import load_wording as history_wording

    w = load_wording()
    phrases = history_wording()
    g = lambda key, **kw: w.get("kiosk", key, **kw)  # noqa: E731
    n = len(takes)
    visitors = len({t.session_id or f"take-{t.id}" for t in takes})
    scen = Counter(t.scenario for t in takes)
    parts = [f'<ul class="stats"><li>{esc(g("visitors"))} <b>{visitors}</b></li>'
             f'<li>{esc(g("takes"))} <b>{n}</b></li>'
             f'<li>{esc(g("scenarios"))} <b>{len(scen)}</b></li></ul>']

    names = [s for s, _ in sorted(scen.items(), key=lambda kv: (-kv[1], kv[0]))]
    svg = hbars_svg("kiosk-scenarios", g("scenarios_heading"), names, [scen[s] for s in names],
                    [BLUE] * len(names))
    tab = table(g("scenarios_heading"), [w.get("progress", "col_scenario"), g("takes")],
                [[s, scen[s]] for s in names], numeric={1})
    parts += [f"<h2>{esc(g('scenarios_heading'))}</h2>",
              figure(svg, g("scenarios_caption"), "kiosk-scenarios-fig", tab)]

    found = Counter(f for t in takes for f in set(t.findings))
    order = {f: i for i, f in enumerate(CATALOGUE)}
    ids = sorted(found, key=lambda f: (CATALOGUE.get(f, ("concern",))[0] != "strength",
                                       -found[f], order.get(f, len(order))))
    shares = [round(100 * found[f] / n) for f in ids]
    kinds = [CATALOGUE.get(f, ("concern",))[0] for f in ids]
    labels = [("✓ " if k == "strength" else "△ ") + phrases.phrase(f) for f, k in zip(ids, kinds)]
    if ids:
        svg = hbars_svg("kiosk-findings", g("findings_heading"), labels, shares,
                        [BLUE if k == "strength" else VERMILLION for k in kinds], unit=" %")
        tab = table(g("findings_heading"), [w.get("take", "col_what"), g("col_share"),
                                            g("takes")],
                    [[lab, f"{s} %", found[f]] for lab, s, f in zip(labels, shares, ids)],
                    numeric={1, 2})
        parts += [f"<h2>{esc(g('findings_heading'))}</h2>",
                  figure(svg, g("findings_caption"), "kiosk-findings-fig", tab)]
    return frame(w, g("title", date=day), g("subtitle"), "\n".join(parts))
