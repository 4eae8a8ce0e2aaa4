"""No English in the analyser's code path: every word it reads comes from prompts/<lang>/.

The proof: a second language made from English by a letter cipher (every a-z
letter replaced by another, consistently, in the word lists, the scenarios and
the answers; the phrase notation and set names untouched). If any English word
were still written in the code, it would no longer match and some answer would
get different findings. Every labelled answer must get exactly the findings it
gets in English.
"""

from __future__ import annotations

import json
import re
import shutil
import string
import tomllib
from pathlib import Path

import pytest

from data_helpers import labelled_answers
from heard.analysis.wordchoice import analyse_word_choice
from heard.core.rules import load_rules
from heard.core.transcript import Transcript

REPO = Path(__file__).resolve().parent.parent
PROMPTS = REPO / "prompts"
_TABLE = str.maketrans(string.ascii_lowercase + string.ascii_uppercase,
                       "qwertyuiopasdfghjklzxcvbnm" + "QWERTYUIOPASDFGHJKLZXCVBNM")


def cipher(text: str) -> str:
    """Letters replaced; ``{set name}`` references of the phrase notation kept."""
    return "".join(part if part.startswith("{") else part.translate(_TABLE)
                   for part in re.split(r"(\{[a-z_]+\})", text))


def _deep(value, keys: bool = True):
    if isinstance(value, str):
        return cipher(value)
    if isinstance(value, list):
        return [_deep(v, keys) for v in value]
    if isinstance(value, dict):
        return {(cipher(k) if keys else k): _deep(v, keys) for k, v in value.items()}
    return value


def _toml(value, path: str = "") -> str:
    """A tiny TOML writer for the shapes the lexicon uses (tables of scalars and arrays)."""
    lines, tables = [], []
    for k, v in value.items():
        if isinstance(v, dict):
            tables.append((k, v))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            tables.append((k, v))
        else:
            lines.append(f"{json.dumps(k)} = {json.dumps(v, ensure_ascii=False)}")
    for k, v in tables:
        name = f"{path}.{json.dumps(k)}" if path else json.dumps(k)
        if isinstance(v, list):
            for item in v:
                lines.append(f"[[{name}]]\n" + _toml(item, name))
        else:
            lines.append(f"[{name}]\n" + _toml(v, name))
    return "\n".join(lines) + "\n"


def _language(en: Path, xx: Path) -> None:
    lex = xx / "lexicon"
    lex.mkdir(parents=True)
    grammar = tomllib.loads((en / "lexicon/grammar.toml").read_text(encoding="utf-8"))
    # set names and role names are the code's vocabulary, not the language's
    grammar = {k: (_deep(v) if k in ("contractions", "suffixes", "swap", "merge") else
                   {n: _deep(x) for n, x in v.items()} if isinstance(v, dict) else _deep(v))
               for k, v in grammar.items()}
    grammar["morphology"]["stem"] = [{n: (cipher(x) if isinstance(x, str) else x) for n, x in r.items()}
                                     for r in tomllib.loads((en / "lexicon/grammar.toml").read_text())["morphology"]["stem"]]
    (lex / "grammar.toml").write_text(_toml(grammar), encoding="utf-8")
    emo = tomllib.loads((en / "lexicon/emotions.toml").read_text(encoding="utf-8"))
    emo = {"levels": emo["levels"],  # scenario intensities, not words
           "feelings": {cipher(k): v for k, v in emo["feelings"].items()},  # families are ids
           "family_of_shown": {cipher(k): v for k, v in emo["family_of_shown"].items()},
           "negated_feelings": _deep(emo["negated_feelings"])}
    (lex / "emotions.toml").write_text(_toml(emo), encoding="utf-8")
    for name in ("concerns", "strengths"):
        data = tomllib.loads((en / f"lexicon/{name}.toml").read_text(encoding="utf-8"))
        (lex / f"{name}.toml").write_text(_toml({k: _deep(v) for k, v in data.items()}), encoding="utf-8")
    shutil.copy(en / "feedback.toml", xx / "feedback.toml")
    (xx / "scenarios").mkdir()
    for path in (en / "scenarios").glob("*.toml"):
        sc = tomllib.loads(path.read_text(encoding="utf-8"))
        for key in ("cue_words", "facts", "shown_feelings", "limit"):
            if key in sc:
                sc[key] = _deep(sc[key])
        (xx / "scenarios" / path.name).write_text(_toml(sc), encoding="utf-8")


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    root = tmp_path_factory.mktemp("prompts")
    shutil.copytree(PROMPTS, root, dirs_exist_ok=True)
    _language(PROMPTS / "en", root / "xx")
    return load_rules(root, lang="xx"), load_rules(PROMPTS)


def test_the_ciphered_language_gets_every_finding_english_gets(toy):
    xx, en = toy
    assert xx.lang == "xx" and set(xx.scenarios) == set(en.scenarios)
    differ, n = [], 0
    for item in labelled_answers():
        sid, text = item["scenario"], item["text"]
        want = analyse_word_choice(Transcript.from_text(text), en.scenarios[sid], rules=en).ids
        got = analyse_word_choice(Transcript.from_text(cipher(text)), xx.scenarios[sid], rules=xx).ids
        n += 1
        if got != want:
            differ.append((item["id"], text, want, got))
    assert n > 400 and not differ, differ[:5]


def test_english_means_nothing_to_the_ciphered_language(toy):
    xx, en = toy
    text = "I know you want a cookie, but stop crying now or no park."
    assert analyse_word_choice(Transcript.from_text(text), en.scenarios["cookie"], rules=en).ids
    assert analyse_word_choice(Transcript.from_text(text), xx.scenarios["cookie"], rules=xx).ids == []


def test_no_word_of_the_english_lists_is_written_in_the_rules():
    """A static check beside the cipher: the analysers' string constants are ids, not words."""
    import ast

    grammar = tomllib.loads((PROMPTS / "en/lexicon/grammar.toml").read_text(encoding="utf-8"))
    vocab = {w for v in grammar["words"].values() for p in v for w in p.split()}
    vocab |= set(grammar["roles"].values()) | set(grammar["swap"]) | set(grammar["contractions"])
    ids = {"child", "adult", "general", "mild"}  # whose feeling, the catch-all family, a scenario intensity
    found = {}
    for name in ("wordchoice.py", "textnorm.py", "lexicon.py"):
        tree = ast.parse((REPO / "src/heard/analysis" / name).read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        # names of sets, roles and keys (g["not"], r.get("unless"), sets["feeling"]) are the code's vocabulary
        keys = {id(n.slice) for n in ast.walk(tree) if isinstance(n, ast.Subscript)}
        keys |= {id(a) for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                 and n.func.attr == "get" for a in n.args[:1]}
        # the rules table's names and declarations describe the rules; they are never matched
        keys |= {id(c) for n in ast.walk(tree) if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "Rule"
                 for c in ast.walk(n)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs | keys:
                words = set(node.value.split()) & vocab - ids
                if words and re.fullmatch(r"[a-z' ]+", node.value):
                    found.setdefault(name, set()).add(node.value)
    assert not found, found
