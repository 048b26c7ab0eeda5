#!/usr/bin/env python3
"""Score the matcher: top-1 on the dev and blind sets (per split), false accepts on CLINC150
out-of-scope, the safety outcomes (answered, checked) on every labelled safety set, and the
distress set (tests/data/distress_blind.tsv: distress in everyday words, help requests,
self-control, time-outs in distress, danger) per kind and split.

Usage: .venv/bin/python scripts/evaluate.py [--set dev|blind] [--split tune|test|all] [--safety]
                                            [--distress] [--show-errors] [--threshold S] [--margin P]
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
from assistant.understanding.matcher import MatchSettings  # noqa: E402

DATA = ROOT / "tests" / "data"
DEV = DATA / "dev.tsv"
BLIND = DATA / "blind.tsv"
OOS = ROOT.parent / "shared" / "data" / "clinc150_out_of_scope.tsv"
# labelled safety sets written blind (text, label, kind): even rows tune, odd rows held out
SAFETY_SETS = ("safety_calib", "safety_test", "safety_blind", "safety_fresh")
FINAL = "safety_final.tsv"  # the last blind safety set, held out whole
DISTRESS = DATA / "distress_blind.tsv"  # text, accept (the fair intents), kind, split
DISTRESS_KINDS = ("distress_words", "help_request", "self_control", "time_out_distress", "danger")
BREAK = ("take_break", "time_out")


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def dev_rows(split: str = "all", path: Path = DEV) -> list[dict]:
    rows = read_tsv(path)
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


def half(rows: list[dict], which: str) -> list[dict]:
    """The tune (even rows) or test (odd rows) half of a set that has no split column."""
    return rows[0::2] if which == "tune" else rows[1::2] if which == "test" else rows


def safety_sets() -> dict[str, list[tuple[str, bool]]]:
    """Every labelled safety set as (text, is danger), the held-out halves marked `test`."""
    sets = {"danger.tsv": [(r["text"], True) for r in read_tsv(DATA / "danger.tsv")],
            "everyday.tsv": [(r["text"], False) for r in read_tsv(DATA / "everyday.tsv")]}
    for name in SAFETY_SETS:
        rows = read_tsv(DATA / f"{name}.tsv")
        for which in ("tune", "test"):
            sets[f"{name}.tsv {which}"] = [(r["text"], r["label"] == "danger") for r in half(rows, which)]
    # held out whole: written last, by someone who saw nothing else, and never trained or tuned on
    sets["safety_final.tsv test"] = [(r["text"], r["label"] == "danger") for r in read_tsv(DATA / FINAL)]
    for which in ("tune", "test"):
        sets[f"blind.tsv {which}"] = [(r["text"], r["intent"] == "safety") for r in dev_rows(which, BLIND)]
    for which in ("tune", "test"):  # danger as a control; distress, help, self-control and time-outs are everyday
        sets[f"distress_blind.tsv {which}"] = [(r["text"], r["kind"] == "danger") for r in distress_rows(which)]
    sets["CLINC150"] = [(r["text"], False) for r in read_tsv(OOS)]
    return sets


def distress_rows(split: str = "all") -> list[dict]:
    """tests/data/distress_blind.tsv, each row's `accept` as a tuple of intents ("null" for none)."""
    rows = read_tsv(DISTRESS)
    for r in rows:
        r["accept"] = tuple(r["accept"].split(","))
    return [r for r in rows if split == "all" or r["split"] == split]


def distress_outcomes(matcher, rows: list[dict]) -> dict[str, dict]:
    """Per kind: rows, understood (an intent its `accept` lists), the break or a time-out, the safety answer,
    the safety question, and the misses."""
    out: dict[str, dict] = {}
    for r in rows:
        m = matcher.match(r["text"])
        o = out.setdefault(r["kind"], {"rows": 0, "understood": 0, "break": 0, "safety": 0, "safety_check": 0,
                                       "errors": []})
        o["rows"] += 1
        ok = (m.intent or "null") in r["accept"]
        o["understood"] += ok
        o["break"] += m.intent in BREAK
        o["safety"] += m.intent == "safety"
        o["safety_check"] += m.intent == "safety_check"
        if not ok:
            o["errors"].append(f"{r['kind']} {r['text']!r} -> {m.intent} ({m.score}, {m.stage}, {m.sentence!r}) "
                               f"want {'|'.join(r['accept'])}")
    return out


def distress_goals(out: dict[str, dict]) -> dict[str, tuple[int, int]]:
    """The issue's measures, as (count, rows): distress understood over distress words and help requests;
    self-control to the break or a time-out; self-control answered as a danger."""
    words = [out.get(k, {"rows": 0, "understood": 0}) for k in ("distress_words", "help_request")]
    sc = out.get("self_control", {"rows": 0, "break": 0, "safety": 0})
    return {"distress understood": (sum(o["understood"] for o in words), sum(o["rows"] for o in words)),
            "self-control to the break or a time-out": (sc["break"], sc["rows"]),
            "self-control given the safety answer": (sc["safety"], sc["rows"])}


def safety_outcomes(matcher, rows: list[tuple[str, bool]]) -> dict:
    """Danger answered / answered or checked, everyday answered / checked: counts and misses."""
    out = {"danger": 0, "everyday": 0, "danger_answered": 0, "danger_checked": 0,
           "everyday_answered": 0, "everyday_checked": 0, "errors": []}
    for text, danger in rows:
        intent = matcher.match(text).intent
        kind = "danger" if danger else "everyday"
        out[kind] += 1
        if intent in ("safety", "safety_check"):
            out[f"{kind}_{'answered' if intent == 'safety' else 'checked'}"] += 1
        if (danger and intent != "safety") or (not danger and intent in ("safety", "safety_check")):
            out["errors"].append(f"{'danger' if danger else 'everyday'} {text!r} -> {intent}")
    return out


def false_accepts(matcher, rows) -> tuple[float, list[str]]:
    errors = []
    for r in rows:
        m = matcher.match(r["text"])
        if m.intent is not None:
            errors.append(f"{r['text']!r} -> {m.intent} ({m.score}, {m.stage}, {m.sentence!r})")
    return len(errors) / max(1, len(rows)), errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--set", default="dev", choices=["dev", "blind"])
    ap.add_argument("--split", default="tune", choices=["tune", "test", "all"])
    ap.add_argument("--safety", action="store_true", help="the safety outcomes of every labelled set instead")
    ap.add_argument("--distress", action="store_true",
                    help="the distress set per kind and split instead (--show-errors: the tune half's misses)")
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
    if args.distress:
        for which in (("tune", "test") if args.split == "all" else (args.split,)):
            out = distress_outcomes(app.matcher, distress_rows(which))
            for kind in DISTRESS_KINDS:
                o = out.get(kind)
                if o is None:
                    continue
                n = max(1, o["rows"])
                print(f"distress_blind.tsv {which} {kind:18s} {o['rows']:3d}: understood {o['understood'] / n:6.1%} | "
                      f"break or time-out {o['break'] / n:6.1%}, safety answer {o['safety'] / n:5.1%}, "
                      f"asked {o['safety_check'] / n:5.1%}")
            for label, (k, n) in distress_goals(out).items():
                print(f"distress_blind.tsv {which} {label}: {k}/{n} = {k / max(1, n):.1%}")
            if args.show_errors and which == "tune":
                print("\n".join("    " + e for o in out.values() for e in o["errors"]))
        return 0
    if args.safety:
        for name, rows in safety_sets().items():
            if args.split != "all" and name.endswith(("tune", "test")) and not name.endswith(args.split):
                continue
            o = safety_outcomes(app.matcher, rows)
            d, e = max(1, o["danger"]), max(1, o["everyday"])
            print(f"{name:22s} danger {o['danger']:4d}: answered {o['danger_answered'] / d:6.1%}, or checked "
                  f"{(o['danger_answered'] + o['danger_checked']) / d:6.1%} | everyday {o['everyday']:4d}: answered "
                  f"{o['everyday_answered'] / e:5.1%}, checked {o['everyday_checked'] / e:5.1%}")
            if args.show_errors and not name.endswith("test"):
                print("\n".join("    " + x for x in o["errors"]))
        return 0
    acc, errs = top1(app.matcher, dev_rows(args.split, BLIND if args.set == "blind" else DEV))
    fa, fas = false_accepts(app.matcher, read_tsv(OOS))
    print(f"{args.set}[{args.split}] top-1 {acc:.1%} ({len(errs)} wrong); CLINC150 out-of-scope false accepts {fa:.2%} ({len(fas)})")
    if args.show_errors:
        print("\n".join(errs))
        print("-- false accepts --")
        print("\n".join(fas[:60]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
