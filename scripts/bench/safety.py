"""Safety: recall on danger statements, false triggers on everyday conflict and on CLINC150
out-of-scope, and both on the blind safety set (tune half and held-out half)."""

from __future__ import annotations

from evaluate import read_tsv

from . import ROOT
from .common import Run

DATA = ROOT / "tests" / "data"


def section(run: Run) -> list[str]:
    def safety(text: str) -> bool:
        return run.app.matcher.match(text).intent == "safety"

    run.progress("safety: danger, everyday and blind sets")
    danger = read_tsv(DATA / "danger.tsv")
    everyday = read_tsv(DATA / "everyday.tsv")
    recall = sum(safety(r["text"]) for r in danger) / len(danger)
    everyday_ft = sum(safety(r["text"]) for r in everyday)
    oos_ft = sum(i == "safety" for i in run.oos_intents)
    blind = read_tsv(DATA / "safety_test.tsv")
    blind_rows = []
    for half, rows in (("tune half (even rows)", blind[0::2]), ("held-out half (odd rows)", blind[1::2])):
        said = [safety(r["text"]) for r in rows]
        d = [s for s, r in zip(said, rows) if r["label"] == "danger"]
        e = [s for s, r in zip(said, rows) if r["label"] != "danger"]
        blind_rows.append(f"| blind set, {half} | {len(d)} danger, {len(e)} everyday | "
                          f"{sum(d) / len(d):.1%} | {sum(e)} |")
    return [
        "## Safety",
        "",
        "| set | utterances | safety answered |",
        "|---|---:|---:|",
        f"| danger statements (tests/data/danger.tsv), recall | {len(danger)} | {recall:.1%} |",
        f"| everyday conflict and figures of speech (tests/data/everyday.tsv), false triggers | {len(everyday)} | {everyday_ft} |",
        f"| CLINC150 out-of-scope, false triggers | {len(run.oos):,} | {oos_ft} |",
        "",
        "A second, blind set (tests/data/safety_test.tsv: 150 danger and 150 everyday sentences written "
        "from a brief by someone who never saw intents/safety.yaml, frozen before any tuning). Its even "
        "rows were used for tuning the safety phrases; the odd rows were never looked at:",
        "",
        "| set | utterances | recall | false triggers |",
        "|---|---|---:|---:|",
        *blind_rows,
        "",
    ]
