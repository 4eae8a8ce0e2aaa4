"""The page frame, HTML helpers and writing the file (0600).

The frame and the wording are editable files in prompts/report/; this
module only fills them in, escaping every value that came from a person.
"""

from __future__ import annotations

import html
import os
import tempfile
from collections.abc import Container
from dataclasses import dataclass
from pathlib import Path
from string import Template

from heard.core.errors import HeardError
from heard.core.paths import DEFAULT_LANG, language_dir, prompts_dir, read_toml

esc = html.escape


@dataclass(frozen=True)
class ReportWording:
    """prompts/<lang>/report.toml: one dict per section."""

    page: dict
    take: dict
    progress: dict
    kiosk: dict

    def get(self, section: str, key: str, **values) -> str:
        text = getattr(self, section).get(key)
        if not isinstance(text, str):
            raise HeardError(f"report wording: [{section}] needs a text `{key}`; "
                             f"restore it from prompts/{DEFAULT_LANG}/report.toml")
        try:
            return text.format(**values) if values else text
        except (KeyError, IndexError, ValueError) as exc:
            raise HeardError(f"report wording: [{section}] {key} has a bad placeholder ({exc})"
                             ) from None


def folder() -> Path:
    return prompts_dir() / "report"


def load_wording() -> ReportWording:
    data = read_toml(language_dir() / "report.toml", "report wording")
    return ReportWording(*(dict(data.get(k, {})) for k in ("page", "take", "progress", "kiosk")))


def _read(name: str) -> str:
    path = folder() / name
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HeardError(f"report template {path} is missing; restore it (reinstall heard) or "
                         "set HEARD_PROMPTS to a folder that has it") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise HeardError(f"report template {path}: cannot be read ({exc})") from None


def frame(wording: ReportWording, title: str, subtitle: str, body: str) -> str:
    """The whole page: the template from prompts/report/page.html filled in."""
    template = Template(_read("page.html"))
    try:
        return template.substitute(
            lang=esc(wording.page.get("lang", "en")), title=esc(title),
            subtitle=esc(subtitle), style=_read("style.css"), body=body,
            footer=esc(wording.get("page", "footer")))
    except (KeyError, ValueError) as exc:
        raise HeardError(f"report template page.html has an unknown or broken placeholder ({exc}); "
                         "use $lang $title $subtitle $style $body $footer") from None


def table(caption: str, headers: list[str], rows: list[list], numeric: Container[int] = frozenset(),
          cls: str = "") -> str:
    """A plain table: the text equivalent of a plot (cells are escaped)."""
    def cell(tag: str, i: int, value) -> str:
        klass = ' class="num"' if i in numeric else ""
        return f"<{tag}{klass}>{esc(_fmt(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    body = "".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(r)) + "</tr>"
                   for r in rows)
    klass = f' class="{cls}"' if cls else ""
    return (f'<div class="scroll"><table{klass}><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def figure(svg: str, caption: str, ident: str, extra: str = "") -> str:
    """A plot with its caption; ``extra`` (a table) is its text equivalent."""
    return (f'<figure id="{esc(ident)}" aria-describedby="{esc(ident)}-cap">{svg}'
            f'<figcaption id="{esc(ident)}-cap">{esc(caption)}</figcaption></figure>{extra}')


def check_writable(path: Path) -> None:
    """Fail in one line now, before any slow work, if the page cannot go there."""
    path = Path(path)
    if path.is_dir():
        raise HeardError(f"{path} is a folder; give a file name like report.html")
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise HeardError(f"cannot write {path}: the folder {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise HeardError(f"cannot write {path}: no permission to write in {parent}")


def write_page(path: Path, text: str) -> Path:
    """Write the page readable only by its owner (0600), whole or not at all."""
    path = Path(path)
    check_writable(path)
    parent = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=".heard-report-", suffix=".html", dir=parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
        os.chmod(path, 0o600)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
