"""The compliance lexicon compiled into one pattern per channel.

Data: pipelines/playbook/compliance.toml (normalisation, context words, precision principles and
the rules) and compliance_words.toml (the shared word lists: diseases, body conditions, effect
verbs, materials…), which rule patterns name as %NAME%.

Every rule's patterns come first (file order), then all literal terms as one trie-shaped
alternation (the longest term at a position wins), then the fallback patterns. Each part is a
named group, so `match.lastgroup` names the rule (or `lex` for a term, looked up by its text).
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pipelines.compliance import prefilter
from pipelines.compliance.normalise import Normaliser
from pipelines.errors import PlaybookError

PLAYBOOK = Path(__file__).resolve().parent.parent / "playbook"
LEXICON_PATH = PLAYBOOK / "compliance.toml"
WORDS_PATH = PLAYBOOK / "compliance_words.toml"

Kind = Literal["error", "warning", "allow", "exempt"]
_KINDS = ("error", "warning", "allow", "exempt")
_CLAIMS = ("", "numbers", "quote")
_CJK = r"[\u4e00-\u9fff]"
_CLAUSE = r"[^,!?;，。！？；\n]"
_NUMBER = r"\d+(?:\.\d+)?"
# A count written either way: 3, 3.5, 三, 十几, 两 (rules about how many friends, days, groups).
_COUNT = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十几百千]+)"
_BIG = "[十百千万亿]"
_PLACEHOLDER = re.compile(r"%([A-Z_]+)%")


@dataclass(frozen=True)
class Rule:
    id: str
    kind: Kind
    category: str
    law: str
    why: str
    suggestion: str
    claim: str = ""
    negatable: bool = False
    unless_dated: bool = False
    self_comparison: bool = False
    channels: frozenset[str] = frozenset()
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    fallback: tuple[str, ...] = ()
    replace: dict[str, str] = field(default_factory=dict, hash=False, compare=False)

    @property
    def severity(self) -> Literal["error", "warning"]:
        return "error" if self.kind == "error" else "warning"

    def applies_to(self, channel: str | None) -> bool:
        return not self.channels or channel in self.channels


@dataclass(frozen=True)
class Principle:
    """Why a match that looks like a violation is only worth a warning (a precision rule).

    It applies to a match of one of its categories when every window it names matches: `hit`
    the matched words, `before` the clause before them, `after` the clause after them, `phrase`
    the matched words with the rest of their clause, `sentence` the sentence before them (commas
    included: 「修饰腿型，瘦腿美腿」).
    """

    id: str
    why: str
    suggestion: str
    categories: frozenset[str]
    hit: re.Pattern[str] | None
    before: re.Pattern[str] | None
    after: re.Pattern[str] | None
    phrase: re.Pattern[str] | None
    sentence: re.Pattern[str] | None = None

    def holds(self, category: str, hit: str, before: str, after: str, sentence: str = "") -> bool:
        return (
            category in self.categories
            and (self.hit is None or self.hit.fullmatch(hit) is not None)
            and (self.before is None or self.before.search(before) is not None)
            and (self.after is None or self.after.match(after) is not None)
            and (self.phrase is None or self.phrase.match(hit + after) is not None)
            and (self.sentence is None or self.sentence.search(sentence) is not None)
        )


@dataclass(frozen=True)
class Context:
    """Context phrases shared by the rules, compiled."""

    negation: re.Pattern[str]
    # What ends a negation's scope before the match: 「不用节食也能瘦」 is not negated.
    negation_breaks: re.Pattern[str]
    self_comparison: re.Pattern[str]
    dated: re.Pattern[str]


class Lexicon:
    """Rules, the normaliser and the compiled master patterns."""

    def __init__(self, data: dict[str, Any], words: dict[str, list[str]] | None = None) -> None:
        norm = data.get("normalise", {})
        self.normalise = Normaliser(
            strip=norm.get("strip", ""),
            joiners=norm.get("joiners", ""),
            sequences=norm.get("sequences", {}),
        )
        self.words = {
            name.upper(): trie_pattern(sorted({self.normalise(w).text for w in listed} - {""}))
            for name, listed in (words or {}).items()
        }
        context = data.get("context", {})
        self.units = "(?:" + "|".join(map(re.escape, context.get("units", ["件"]))) + ")"
        self.context = Context(
            negation=_compile("|".join(map(re.escape, context.get("negations", ["不以"])))),
            negation_breaks=_compile(
                "|".join(map(re.escape, context.get("negation_breaks", ["也"])))
            ),
            self_comparison=_compile("|".join(context.get("self_comparison", ["本店"]))),
            dated=_compile(context.get("dated", r"\d{1,2}:\d{2}")),
        )
        self.principles = [self._principle(raw) for raw in data.get("principles", [])]
        self.rules = [self._rule(raw) for raw in data.get("rules", [])]
        self._by_channel: dict[str | None, prefilter.Dispatcher] = {}
        self._by_active: dict[tuple[int, ...], prefilter.Dispatcher] = {}
        self.by_id = {rule.id: rule for rule in self.rules}
        if len(self.by_id) != len(self.rules):
            raise PlaybookError("合规词库 compliance.toml 里有重复的规则 id")
        self.term_rule: dict[str, Rule] = {}
        for rule in self.rules:
            for term in rule.terms:
                if term in self.term_rule:
                    other = self.term_rule[term].id
                    raise PlaybookError(
                        f"合规词库里「{term}」同时出现在规则 {other} 和 {rule.id}，只能归一条"
                    )
                self.term_rule[term] = rule

    def _rule(self, raw: dict[str, Any]) -> Rule:
        name = raw.get("id", "?")
        try:
            rule = Rule(
                id=raw["id"],
                kind=raw["kind"],
                category=raw["category"],
                law=raw["law"],
                why=raw["why"],
                suggestion=raw.get("suggestion", ""),
                claim=raw.get("claim", ""),
                negatable=raw.get("negatable", False),
                unless_dated=raw.get("unless_dated", False),
                self_comparison=raw.get("self_comparison", False),
                channels=frozenset(raw.get("channels", [])),
                terms=tuple(self.normalise(t).text for t in raw.get("terms", [])),
                patterns=tuple(self._expand(p) for p in raw.get("patterns", [])),
                fallback=tuple(self._expand(p) for p in raw.get("fallback", [])),
                replace={self.normalise(k).text: v for k, v in raw.get("replace", {}).items()},
            )
        except KeyError as exc:
            raise PlaybookError(f"合规规则 {name} 缺少字段 {exc.args[0]}") from None
        if "" in rule.terms:
            raise PlaybookError(f"合规规则 {name} 里有空词（只有空格或装饰符）")
        if rule.kind not in _KINDS or rule.claim not in _CLAIMS:
            raise PlaybookError(f"合规规则 {name} 的 kind 或 claim 取值不对")
        for pattern in rule.patterns + rule.fallback:
            if _compile(pattern).groups:
                raise PlaybookError(f"合规规则 {name} 的正则里只能用非捕获组 (?:…)：{pattern}")
        return rule

    def _principle(self, raw: dict[str, Any]) -> Principle:
        name = raw.get("id", "?")
        try:
            return Principle(
                id=raw["id"],
                why=raw["why"],
                suggestion=raw.get("suggestion", ""),
                categories=frozenset(raw["categories"]),
                **{
                    window: _compile(self._expand(raw[window])) if window in raw else None
                    for window in ("hit", "before", "after", "phrase", "sentence")
                },
            )
        except KeyError as exc:
            raise PlaybookError(f"合规原则 {name} 缺少字段 {exc.args[0]}") from None

    def _expand(self, pattern: str) -> str:
        builtin = {
            "CJK": _CJK,
            "CLAUSE": _CLAUSE,
            "NUM": _NUMBER,
            "COUNT": _COUNT,
            "UNIT": self.units,
            "BIG": _BIG,
        }

        def one(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in builtin:
                return builtin[name]
            if name in self.words:
                return f"(?:{self.words[name]})"
            raise PlaybookError(f"合规词库里的正则用了不存在的词表 %{name}%：{pattern}")

        return _PLACEHOLDER.sub(one, pattern)

    def pattern(self, channel: str | None) -> prefilter.Dispatcher:
        """The master matcher for texts going out on `channel` (None: channel-free rules only)."""
        matcher = self._by_channel.get(channel)
        if matcher is None:
            active = tuple(i for i, r in enumerate(self.rules) if r.applies_to(channel))
            # Channels with the same rules (社群, 朋友圈…) share one matcher.
            matcher = self._by_active.get(active) or self._matcher(active)
            self._by_active[active] = self._by_channel[channel] = matcher
        return matcher

    def _matcher(self, active: tuple[int, ...]) -> prefilter.Dispatcher:
        rules = [(i, self.rules[i]) for i in active]
        parts = [(f"p{i}_{j}", p) for i, r in rules for j, p in enumerate(r.patterns)]
        terms = [t for _, r in rules for t in r.terms]
        if terms:
            parts.append(("lex", trie_pattern(terms)))
        parts += [(f"f{i}_{j}", p) for i, r in rules for j, p in enumerate(r.fallback)]
        return prefilter.Dispatcher(parts)

    def rule_of(self, match: re.Match[str]) -> Rule:
        group = match.lastgroup or ""
        if group == "lex":
            return self.term_rule[match.group()]
        return self.rules[int(group[1:].split("_")[0])]


def trie_pattern(words: list[str]) -> str:
    """One regex alternation shaped like a trie; at a position it prefers the longest word."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return build(root)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.ASCII)
    except re.error as exc:
        raise PlaybookError(f"合规词库里的正则写错了：{pattern}（{exc}）") from None


def read_lexicon(path: Path = LEXICON_PATH, words: Path = WORDS_PATH) -> Lexicon:
    """Read and compile a lexicon file and its word lists (uncached)."""
    lists = _read(words).get("words", {})
    if not all(isinstance(v, list) and all(isinstance(w, str) for w in v) for v in lists.values()):
        raise PlaybookError(f"合规词表 {words.name} 的 [words] 里每一项都应是字符串列表")
    return Lexicon(_read(path), lists)


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlaybookError(f"找不到合规词库 {path.name}，请检查安装是否完整") from None
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"合规词库 {path.name} 的 TOML 格式错误：{exc}") from None


@functools.cache
def load_lexicon() -> Lexicon:
    """The packaged lexicon, read once per process."""
    return read_lexicon()
