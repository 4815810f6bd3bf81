"""The compliance checker on copy no one here wrote: the sourced corpus, per category.

tests/data/compliance/corpus.tsv holds 448 sentences from public material (enforcement cases,
rule texts and their examples, real product copy), labelled from the rules, split by a hash of
the sentence into `tune` (the lexicon was tuned looking at these only) and `heldout` (only ever
scored). Every row is scanned without a canvas, with its channel.

What counts:
- a violation is *caught at error level* when an error-level finding of the checker category
  that names its rule is reported (EXPECTED below); *flagged* when any finding is reported;
- precision at error level: of the sentences with an error-level finding, the share that are
  violations; clean and exemption sentences must have none.

`python -m tests.test_compliance_corpus` prints the per-category table for both halves.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from pipelines.compliance import scan_text
from pipelines.content import Finding

CORPUS = Path(__file__).resolve().parent / "data" / "compliance" / "corpus.tsv"
# The corpus's channel column → the channel the checker knows (all: no channel rules).
CHANNELS = {"all": None, "小红书": "小红书", "朋友圈": "朋友圈", "微信群": "社群", "直播": "直播间"}
ANY = None
# The checker categories that name each corpus category's rule. A guarantee is often made with
# the absolute words themselves (百分百正品, 100%有效), so either names it.
EXPECTED: dict[str, frozenset[str] | None] = {
    "absolute": frozenset({"绝对化用语"}),
    "medical_efficacy": frozenset({"医疗功效"}),
    "guarantee": frozenset({"效果保证", "绝对化用语"}),
    "induced_share": frozenset({"诱导分享"}),
    "off_platform": frozenset({"站外导流"}),
    "false_data": ANY,
    "faked_popularity": ANY,
    "fake_urgency": ANY,
}
ERROR_TARGETS = ["absolute", "medical_efficacy", "guarantee", "induced_share", "off_platform"]
WARNING_TARGETS = ["false_data", "faked_popularity"]
RECALL_TARGET, PRECISION_TARGET = 0.95, 0.97


@dataclass(frozen=True)
class Row:
    id: str
    split: str
    label: str
    category: str
    channel: str
    text: str


@dataclass
class Tally:
    rows: int = 0
    errors: int = 0  # violations: caught at error level with the right category; others: any error
    flagged: int = 0  # any finding at all
    ids: list[str] = field(default_factory=list)  # the rows that miss (violations) or err (others)

    def rate(self, count: int) -> float:
        return count / self.rows if self.rows else 1.0


def read_corpus() -> list[Row]:
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        next(reader)
        return [Row(*line[:6]) for line in reader]


def findings(row: Row) -> list[Finding]:
    found = scan_text(row.text, channel=CHANNELS[row.channel])
    assert all(row.text[f.start : f.end] == f.span for f in found), row.id
    return found


def caught(row: Row, found: list[Finding]) -> bool:
    wanted = EXPECTED[row.category]
    return any(f.severity == "error" and (wanted is None or f.category in wanted) for f in found)


@dataclass
class Figures:
    """One half of the corpus, scanned."""

    split: str
    by_key: dict[tuple[str, str], Tally] = field(default_factory=dict)
    error_rows: int = 0  # sentences with an error-level finding
    error_violations: int = 0  # … of which violations

    @classmethod
    def of(cls, rows: list[Row], split: str) -> Figures:
        figures = cls(split)
        for row in rows:
            if row.split == split:
                figures.add(row, findings(row))
        return figures

    def add(self, row: Row, found: list[Finding]) -> None:
        tally = self.by_key.setdefault((row.label, row.category), Tally())
        has_error = any(f.severity == "error" for f in found)
        tally.rows += 1
        tally.flagged += bool(found)
        if row.label == "violation":
            hit = caught(row, found)
            tally.errors += hit
            if not hit:
                tally.ids.append(row.id)
        else:
            tally.errors += has_error
            if has_error:
                tally.ids.append(row.id)
        self.error_rows += has_error
        self.error_violations += has_error and row.label == "violation"

    def violation(self, category: str) -> Tally:
        return self.by_key.get(("violation", category), Tally())

    @property
    def precision(self) -> float:
        return self.error_violations / self.error_rows if self.error_rows else 1.0

    @property
    def honest_at_error(self) -> list[str]:
        return [i for (label, _), t in self.by_key.items() if label != "violation" for i in t.ids]

    def _ids(self, tally: Tally) -> str:
        # Held-out rows are only ever counted: naming them would invite tuning on them.
        return " ".join(tally.ids) if self.split == "tune" else ""

    def table(self) -> str:
        lines = [
            f"corpus {self.split}: error-level precision {self.precision:.3f} "
            f"({self.error_violations}/{self.error_rows} sentences with an error are violations)",
            "| label | category | rows | error level | any finding | tune rows missed / at error |",
            "|---|---|---:|---:|---:|---|",
        ]
        for (label, category), t in sorted(self.by_key.items()):
            lines.append(
                f"| {label} | {category} | {t.rows} | {t.errors} ({t.rate(t.errors):.2f}) | "
                f"{t.flagged} ({t.rate(t.flagged):.2f}) | {self._ids(t)} |"
            )
        return "\n".join(lines)


def xiaohongshu_off_platform(rows: list[Row], split: str) -> Tally:
    """Off-platform steering is a 小红书 rule: recall over the rows meant for 小红书."""
    tally = Tally()
    for row in rows:
        if (row.split, row.category, row.channel) == (split, "off_platform", "小红书"):
            tally.rows += 1
            hit = caught(row, findings(row))
            tally.errors += hit
            if not hit:
                tally.ids.append(row.id)
    return tally


def _recall(figures: Figures, rows: list[Row], category: str) -> Tally:
    if category == "off_platform":
        return xiaohongshu_off_platform(rows, figures.split)
    return figures.violation(category)


# --- the held-out half: the figures the issue reports -----------------------------------------


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    return read_corpus()


@pytest.fixture(scope="module")
def heldout(rows: list[Row]) -> Figures:
    return Figures.of(rows, "heldout")


def test_every_row_is_scanned_and_spans_are_the_original_text(rows: list[Row]) -> None:
    assert len(rows) >= 400
    assert {r.split for r in rows} == {"tune", "heldout"}
    assert set(CHANNELS) >= {r.channel for r in rows}
    assert set(EXPECTED) >= {r.category for r in rows if r.label == "violation"}


def test_the_per_category_table(rows: list[Row], heldout: Figures, capsys) -> None:
    tune = Figures.of(rows, "tune")
    with capsys.disabled():
        print("\n" + tune.table() + "\n\n" + heldout.table())
    assert sum(t.rows for t in heldout.by_key.values()) == sum(r.split == "heldout" for r in rows)


# Held-out figures reached (measured three times: after tuning, after one more round of words
# from the public rules tuned on `tune` rows only, and after rules derived from the rule texts
# themselves, the corpus only scored). Where a target is not met the target test is a strict
# xfail naming the figure, and FLOORS keeps the figure from getting worse.
# Second session (issue 11, rule structures and precision principles from the rule texts, tuned
# on `tune` rows and 35 added sourced `tune` rows only; held-out scored three times: before, midway
# and at the end). Before → after: medical 38 → 44 of 54, guarantee 9 → 9 of 14 (flagged 10 → 11),
# induced share 6 → 8 of 13, false data flagged 6 → 7 of 10, faked popularity 6 → 6 of 9,
# precision 73/88 → 82/94, held-out exemptions at error 15 → 12 of 50.
REACHED = {
    "absolute": 1.0,
    "medical_efficacy": 44 / 54,
    "guarantee": 9 / 14,
    "induced_share": 8 / 13,
    "off_platform": 4 / 4,
    "false_data": 7 / 10,
    "faked_popularity": 6 / 9,
}
PRECISION_REACHED, HONEST_AT_ERROR_REACHED = 82 / 94, 12


def _target(category: str) -> object:
    reached = REACHED[category]
    if reached >= RECALL_TARGET:
        return category
    reason = f"held-out {category}: {reached:.3f} < {RECALL_TARGET} (issue 11, honest figure)"
    return pytest.param(category, marks=pytest.mark.xfail(strict=True, reason=reason))


@pytest.mark.parametrize("category", [_target(c) for c in ERROR_TARGETS])
def test_heldout_violations_are_errors_of_their_category(
    category: str, rows: list[Row], heldout: Figures
) -> None:
    tally = _recall(heldout, rows, category)
    assert tally.rows > 0
    assert tally.rate(tally.errors) >= RECALL_TARGET


@pytest.mark.parametrize("category", [_target(c) for c in WARNING_TARGETS])
def test_heldout_invented_figures_are_flagged_at_least_as_warnings(
    category: str, heldout: Figures
) -> None:
    tally = heldout.violation(category)
    assert tally.rows > 0
    assert tally.rate(tally.flagged) >= RECALL_TARGET


@pytest.mark.xfail(strict=True, reason=f"held-out precision {PRECISION_REACHED:.3f} < 0.97")
def test_heldout_precision_at_error_level(heldout: Figures) -> None:
    assert heldout.precision >= PRECISION_TARGET


@pytest.mark.xfail(
    strict=True, reason=f"{HONEST_AT_ERROR_REACHED} held-out clean/exempt sentences at error"
)
def test_no_heldout_clean_or_exempt_sentence_is_an_error(heldout: Figures) -> None:
    assert len(heldout.honest_at_error) == 0


def test_the_heldout_figures_never_fall_below_those_reached(
    rows: list[Row], heldout: Figures
) -> None:
    for category in ERROR_TARGETS:
        tally = _recall(heldout, rows, category)
        assert tally.rate(tally.errors) >= REACHED[category] - 1e-9, category
    for category in WARNING_TARGETS:
        tally = heldout.violation(category)
        assert tally.rate(tally.flagged) >= REACHED[category] - 1e-9, category
    assert heldout.precision >= PRECISION_REACHED - 1e-9
    assert len(heldout.honest_at_error) <= HONEST_AT_ERROR_REACHED
    assert heldout.violation("absolute").rate(heldout.violation("absolute").errors) == 1.0


def _main() -> Iterator[str]:
    rows = read_corpus()
    for split in ("tune", "heldout"):
        figures = Figures.of(rows, split)
        yield figures.table()
        for category in ERROR_TARGETS:
            tally = _recall(figures, rows, category)
            where = " (小红书 rows)" if category == "off_platform" else ""
            yield f"  {category}{where}: error-level recall {tally.rate(tally.errors):.3f}"
        yield ""


if __name__ == "__main__":
    print("\n".join(_main()))
