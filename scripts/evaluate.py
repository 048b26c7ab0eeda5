#!/usr/bin/env python3
"""Score the matcher: top-1 on the dev set (per split) and false accepts on CLINC150 out-of-scope.

Usage: .venv/bin/python scripts/evaluate.py [--split tune|test|all] [--show-errors] [--threshold S] [--margin P]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.app import build  # noqa: E402
from assistant.matcher import MatchSettings  # noqa: E402

DEV = ROOT / "tests" / "data" / "dev.tsv"
OOS = ROOT.parent / "shared" / "data" / "clinc150_out_of_scope.tsv"


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def dev_rows(split: str = "all") -> list[dict]:
    rows = read_tsv(DEV)
    for r in rows:
        r["intent"] = None if r["intent"] == "null" else r["intent"]
        r["slots"] = json.loads(r["slots"])
    return [r for r in rows if split == "all" or r["split"] == split]


def top1(matcher, rows) -> tuple[float, list[str]]:
    errors = []
    for r in rows:
        m = matcher.match(r["text"])
        if m.intent != r["intent"] or any(m.slots.get(k) != v for k, v in r["slots"].items()):
            errors.append(f"{r['text']!r}: got {m.intent} {dict(m.slots)} ({m.score}, {m.stage}, "
                          f"{m.sentence!r}) want {r['intent']} {r['slots']}")
    return 1 - len(errors) / max(1, len(rows)), errors


def false_accepts(matcher, rows) -> tuple[float, list[str]]:
    errors = []
    for r in rows:
        m = matcher.match(r["text"])
        if m.intent is not None:
            errors.append(f"{r['text']!r} -> {m.intent} ({m.score}, {m.stage}, {m.sentence!r})")
    return len(errors) / max(1, len(rows)), errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--split", default="tune", choices=["tune", "test", "all"])
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--threshold", type=float)
    ap.add_argument("--margin", type=float)
    args = ap.parse_args()
    settings = MatchSettings()
    if args.threshold is not None:
        settings = replace(settings, threshold=args.threshold)
    if args.margin is not None:
        settings = replace(settings, margin=args.margin)
    app = build(match=settings)
    acc, errs = top1(app.matcher, dev_rows(args.split))
    fa, fas = false_accepts(app.matcher, read_tsv(OOS))
    print(f"dev[{args.split}] top-1 {acc:.1%} ({len(errs)} wrong); CLINC150 out-of-scope false accepts {fa:.2%} ({len(fas)})")
    if args.show_errors:
        print("\n".join(errs))
        print("-- false accepts --")
        print("\n".join(fas[:60]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
