"""The page for one take (or a practice session of takes), from the take JSON.

Input is the ``heard analyse --json`` dict (``heard.analysis.take.report_json``),
possibly with its ``timeline`` extra; history rows are turned into the same
shape first (``records.take_from_record``), so there is one way to draw a take.
"""

from __future__ import annotations

import re

from heard.report.page import ReportWording, esc, figure, frame, load_wording, table
from heard.report.plots import conf_band

_TOKEN = re.compile(r"[\w']+")


def _phrases():
    from heard.store.history import load_wording as history_wording

    return history_wording()


def _title(scenario_id: str) -> str:
    from heard.core.errors import HeardError
    from heard.core.scenarios import get_scenario

    try:
        return get_scenario(scenario_id).title
    except HeardError:  # a scenario since removed: its id still names it
        return scenario_id


def _tokens(text: str) -> list[str]:
    return [t.lower() for t in _TOKEN.findall(text or "")]


def quote_span(words: list[dict], finding: dict) -> tuple[int, int] | None:
    """Indices [a, b) of the words a word-choice finding quotes, or None."""
    if finding.get("area") != "word_choice" or not words:
        return None
    start, end = finding.get("start"), finding.get("end")
    if start is not None and end is not None and all(w.get("start") is not None for w in words):
        idx = [i for i, w in enumerate(words)
               if w["start"] >= start - 0.05 and w["end"] <= end + 0.05]
        if idx:
            return idx[0], idx[-1] + 1
    want = _tokens(finding.get("evidence", ""))
    have = [" ".join(_tokens(w["word"])) for w in words]
    if not want:
        return None
    for a in range(len(have)):
        got: list[str] = []
        for b in range(a, len(have)):
            got += have[b].split()
            if got[: len(want)] != want[: len(got)]:
                break
            if len(got) >= len(want):
                return a, b + 1
    return None


class TakeView:
    """Renders one take dict; ``ident`` keeps ids unique when a page holds several."""

    def __init__(self, take: dict, ident: str, wording: ReportWording, phrases) -> None:
        self.t = take
        self.id = ident
        self.w = wording
        self.phrases = phrases
        self.words = list(take.get("transcript", {}).get("words") or [])
        self.timed = bool(self.words) and all(w.get("start") is not None for w in self.words)
        # Each quote is marked in the words once; a quote overlapping an earlier
        # one is still listed (with its text) but not marked twice.
        self.spans: dict[int, tuple[int, int]] = {}
        taken: set[int] = set()
        for n, f in enumerate(take["findings"], 1):
            span = quote_span(self.words, f)
            if span and not taken & set(range(*span)):
                self.spans[n] = span
                taken |= set(range(*span))

    def label(self, key: str, **kw) -> str:
        return self.w.get("take", key, **kw)

    def html(self, heading_level: int = 2) -> str:
        h = f"h{heading_level}"
        parts = [self._stats()]
        parts += [f"<{h}>{esc(self.label('heading_feedback'))}</{h}>", self._feedback()]
        if "timeline" in self.t:
            parts += [f"<{h}>{esc(self.label('heading_timeline'))}</{h}>", self._timeline()]
        elif self.t.get("typed"):
            parts.append(f'<p class="note">{esc(self.label("typed_note"))}</p>')
        elif self.t.get("old"):
            parts.append(f'<p class="note">{esc(self.label("old_take_note"))}</p>')
        parts += [f"<{h}>{esc(self.label('heading_findings'))}</{h}>", self._findings()]
        parts += [f"<{h}>{esc(self.label('heading_words'))}</{h}>", self._words()]
        if "timeline" in self.t:
            parts += [f"<{h}>{esc(self.label('heading_voice'))}</{h}>", self._voice()]
        return f'<section class="take" id="{esc(self.id)}">' + "\n".join(parts) + "</section>"

    # -- parts ---------------------------------------------------------------

    def _stats(self) -> str:
        p = self.t["pacing"]
        items = []
        if p.get("wait_s") is not None:
            items.append((self.label("stat_wait"), self.label("seconds", value=f"{p['wait_s']:.1f}")))
        if p.get("speech_s") is not None:
            items.append((self.label("stat_speech"),
                          self.label("seconds", value=f"{p['speech_s']:.1f}")))
        items.append((self.label("stat_words"), str(p.get("words", 0))))
        if p.get("speech_s") is not None:
            items.append((self.label("stat_pauses"), str(p.get("pauses", 0))))
        lis = "".join(f"<li>{esc(k)} <b>{esc(v)}</b></li>" for k, v in items)
        return f'<ul class="stats">{lis}</ul>'

    def _feedback(self) -> str:
        fb = self.t.get("feedback") or {}
        out = ""
        if fb.get("spoken"):
            out += f'<p class="spoken">{esc(fb["spoken"])}</p>'
        if fb.get("details"):
            lis = "".join(f"<li>{esc(d)}</li>" for d in fb["details"])
            out += f"<h3>{esc(self.label('heading_notes'))}</h3><ul class=\"notes\">{lis}</ul>"
        if not out and self.t.get("anonymous"):
            out = f'<p class="note">{esc(self.label("words_not_kept"))}</p>'
        return out

    def _words(self) -> str:
        if self.t.get("anonymous"):
            return f'<p class="note">{esc(self.label("words_not_kept"))}</p>'
        if not self.words:
            return f'<p class="said">{esc(self.label("no_words"))}</p>'
        starts = {a: n for n, (a, _) in self.spans.items()}
        ends = {b - 1: n for n, (_, b) in self.spans.items()}
        out, open_mark = [], False
        for i, w in enumerate(self.words):
            if i in starts:
                n = starts[i]
                out.append(f'<mark id="{self.id}-q{n}" title="{n}">')
                open_mark = True
            band = conf_band(w.get("conf")) if self.timed else "high"
            conf = w.get("conf")
            title = f' title="{conf * 100:.0f} %"' if self.timed and conf is not None else ""
            out.append(f'<span class="w {band}"{title}>{esc(w["word"])}</span>')
            if open_mark and ends.get(i) is not None:
                out.append(f"<sup>{ends[i]}</sup></mark>")
                open_mark = False
            out.append(" ")
        if open_mark:
            out.append("</mark>")
        said = f'<p class="said">{"".join(out).strip()}</p>'
        if not self.timed:
            return said
        legend = (f'<p class="legend">{esc(self.label("confidence_legend"))} '
                  f'<span class="w high">{esc(self.label("conf_high"))}</span>'
                  f'<span class="w mid">{esc(self.label("conf_mid"))}</span>'
                  f'<span class="w low">{esc(self.label("conf_low"))}</span></p>')
        rows = [[w["word"], w.get("start"), w.get("end"),
                 f"{(w.get('conf') or 0) * 100:.0f} %"] for w in self.words]
        tab = table(self.label("heading_words"), [self.label("col_word"), self.label("col_from"),
                                                  self.label("col_to"), self.label("col_conf")],
                    rows, numeric={1, 2, 3})
        return said + legend + tab

    def _findings(self) -> str:
        found = self.t["findings"]
        if not found:
            return f"<p>{esc(self.label('no_findings'))}</p>"
        items = []
        for n, f in enumerate(found, 1):
            phrase = self.phrases.phrase(f["id"])
            area = self.w.get("progress", f"area_{f['area']}") if f.get("area") else ""
            quote = ""
            if f.get("evidence") and not self.t.get("anonymous"):
                target = f"#{self.id}-q{n}" if self.spans.get(n) else None
                q = f'<q class="quote">{esc(f["evidence"])}</q>'
                lead = self.label("quote" if f.get("area") == "word_choice" else "measured")
                quote = (f'<br>{esc(lead)}'
                         + (f'<a href="{target}">{q}</a>' if target else q))
            when = ""
            if f.get("start") is not None and f.get("end") is not None:
                when = " · " + esc(self.label("at_time", start=f"{f['start']:.1f}",
                                              end=f"{f['end']:.1f}"))
            items.append(f'<li class="{esc(f["kind"])}" id="{self.id}-f{n}" data-finding="{esc(f["id"])}">'
                         f'<span class="kind-{esc(f["kind"])}"><b>{n}. {esc(phrase)}</b></span>'
                         f' <span class="tag">({esc(area)}{when})</span>{quote}</li>')
        return '<ol class="findings">' + "".join(items) + "</ol>"

    def _timeline(self) -> str:
        from heard.report.plots import timeline_svg

        tl = self.t["timeline"]
        labels = {k: self.label(k) for k in ("wait", "speech", "end_of_turn")}
        labels["title"] = self.label("heading_timeline")
        svg = timeline_svg(self.t, f"{self.id}-timeline", labels)
        rows = []
        wait = self.t["pacing"].get("wait_s")
        if wait is not None:
            rows.append([self.label("wait"), 0.0, wait])
        segs = tl.get("segments") or []
        for i, (a, b) in enumerate(segs):
            if i:
                rows.append([self.label("pause"), segs[i - 1][1], a])
            rows.append([self.label("speech"), a, b])
        if tl.get("end_of_turn") is not None:
            rows.append([self.label("end_of_turn"), tl["end_of_turn"], None])
        for n, f in enumerate(self.t["findings"], 1):
            if f.get("start") is not None:
                rows.append([f"{n}. {self.phrases.phrase(f['id'])}", f["start"], f.get("end")])
        tab = table(self.label("timeline_table"),
                    [self.label("col_what"), self.label("col_from"), self.label("col_to")],
                    [[r[0], _s(r[1]), _s(r[2])] for r in rows], numeric={1, 2})
        return figure(svg, self.label("timeline_caption"), f"{self.id}-timeline-fig", tab)

    def _voice(self) -> str:
        tl = self.t["timeline"]
        if not any(v is not None for v in tl.get("loudness_db") or []):
            return f"<p>{esc(self.label('no_voice'))}</p>"
        from heard.report.plots import voice_svg

        labels = {"pitch": self.label("plot_pitch"), "loudness": self.label("plot_loudness"),
                  "title": self.label("heading_voice")}
        svg = voice_svg(self.t, f"{self.id}-voice", labels)
        tone = self.t.get("tone") or {}
        calm = tl.get("calm")
        band = (lambda k: f"{calm[k][0]:+g} … {calm[k][1]:+g}") if calm else (lambda k: None)
        rows = [[self.label("pitch"), tone.get("pitch_st"), band("pitch_st")],
                [self.label("pitch_spread"), tone.get("pitch_spread_st"), None],
                [self.label("loudness"), tone.get("loudness_db"), band("loudness_db")]]
        tab = table(self.label("voice_table"), [self.label("col_measure"), self.label("col_value"),
                                               self.label("col_calm")], rows, numeric={1})
        cap = self.label("voice_caption_band" if calm else "voice_caption_none")
        return figure(svg, cap, f"{self.id}-voice-fig", tab)


def _s(v) -> str | None:
    return None if v is None else f"{float(v):.2f}"


def take_page(take: dict, *, when: str = "") -> str:
    """A whole page for one take."""
    wording = load_wording()
    title = wording.get("take", "title", scenario=_title(take["scenario"]))
    sub = wording.get("take", "subtitle_typed") if take.get("typed") else \
        wording.get("take", "subtitle", when=when)
    body = TakeView(take, "take-1", wording, _phrases()).html()
    return frame(wording, title, sub, body)


def session_page(takes: list[tuple[dict, bool]], *, when: str = "",
                 title: str | None = None) -> str:
    """A page for several takes; a retry (``True``) sits beside the take before it."""
    wording = load_wording()
    phrases = _phrases()
    groups: list[list[dict]] = []
    for take, is_retry in takes:
        if is_retry and groups and groups[-1][-1]["scenario"] == take["scenario"]:
            groups[-1].append(take)
        else:
            groups.append([take])
    parts, n = [], 0
    for group in groups:
        parts.append(f"<h2>{esc(_title(group[0]['scenario']))}</h2>")
        views = []
        level = 4 if len(group) > 1 else 3
        for take in group:
            n += 1
            views.append(TakeView(take, f"take-{n}", wording, phrases).html(heading_level=level))
        if len(group) == 1:
            parts.append(views[0])
            continue
        parts.append(f"<h3>{esc(wording.get('take', 'heading_retry'))}</h3>")
        cols = []
        for i, v in enumerate(views):
            name = wording.get("take", "before" if i < len(views) - 1 else "after")
            cols.append(f'<section><h4>{esc(name)}</h4>{v}</section>')
        parts.append('<div class="pair">' + "".join(cols) + "</div>")
    return frame(wording, title or wording.get("take", "title_session"), when, "\n".join(parts))
