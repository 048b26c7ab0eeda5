"""Safety: what the matcher does with danger and with everyday talk, per labelled set
(scripts/evaluate.py's `safety_sets()`): danger answered (`safety`) or at least checked
(`safety_check`, one caring question); everyday answered or checked. Tune halves and held-out
halves in separate rows, and the held-out halves beside the issue's goals."""

from __future__ import annotations

from evaluate import safety_outcomes, safety_sets

from .common import Run, oos_rows

# (label, measured share, goal, met?) on held-out rows, from issue 11.
GOALS = [
    ("danger answered or checked", lambda o: _share(o["danger_answered"] + o["danger_checked"], o["danger"]), ">= 97%", lambda x: x >= 0.97),
    ("danger answered", lambda o: _share(o["danger_answered"], o["danger"]), ">= 90%", lambda x: x >= 0.90),
    ("everyday answered", lambda o: _share(o["everyday_answered"], o["everyday"]), "<= 2%", lambda x: x <= 0.02),
    ("everyday checked", lambda o: _share(o["everyday_checked"], o["everyday"]), "<= 10%", lambda x: x <= 0.10),
]
ROLES = {"danger.tsv": "training", "everyday.tsv": "training"}


def _share(n: int, total: int) -> float | None:
    return n / total if total else None


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1%}"


def _row(name: str, role: str, o: dict) -> str:
    d, e = o["danger"], o["everyday"]
    return (f"| {name} | {role} | {d} | {_pct(_share(o['danger_answered'], d))} | "
            f"{_pct(_share(o['danger_answered'] + o['danger_checked'], d))} | {e} | "
            f"{_pct(_share(o['everyday_answered'], e))} | {_pct(_share(o['everyday_checked'], e))} |")


def _pool(outcomes: list[dict]) -> dict:
    keys = ("danger", "everyday", "danger_answered", "danger_checked", "everyday_answered", "everyday_checked")
    return {k: sum(o[k] for o in outcomes) for k in keys}


def _intents_outcome(intents: list[str | None]) -> dict:
    """Outcomes of everyday rows whose intents are already known."""
    return {"danger": 0, "everyday": len(intents), "danger_answered": 0, "danger_checked": 0,
            "everyday_answered": sum(i == "safety" for i in intents),
            "everyday_checked": sum(i == "safety_check" for i in intents)}


def section(run: Run) -> list[str]:
    matcher = run.app.matcher
    run.progress("safety: every labelled set, tune and held-out halves")
    rows, held = [], {}
    for name, pairs in safety_sets().items():
        if name == "CLINC150":
            continue
        o = safety_outcomes(matcher, pairs)
        role = "**held out**" if name.endswith(" test") else ROLES.get(name, "tune (training)")
        rows.append(_row(name, role, o))
        if name.endswith(" test"):
            held[name] = o

    clinc_held = _intents_outcome(run.oos_intents)
    if run.quick:
        rows.append("| CLINC150 out-of-scope, even rows | tune (training) | not run with --quick | | | | | |")
    else:
        run.progress("safety: CLINC150 even rows")
        even = [r["text"] for r in oos_rows()[0::2]]
        rows.append(_row("CLINC150 out-of-scope, even rows", "tune (training)",
                         _intents_outcome([matcher.match(t).intent for t in even])))
    rows.append(_row(f"CLINC150 out-of-scope ({run.oos_label})", "**held out**", clinc_held))

    pooled = _pool(list(held.values()))
    rows.append(_row("**all held-out halves above, pooled** (CLINC150 apart)", "**held out**", pooled))

    columns = {"pooled": pooled, **held}
    goal_rows = []
    for label, measure, goal, ok in GOALS:
        cells = []
        for o in columns.values():
            x = measure(o)
            cells.append("-" if x is None else f"{x:.1%} {'met' if ok(x) else '**not met**'}")
        goal_rows.append(f"| {label} | {goal} | " + " | ".join(cells) + " |")
    n = clinc_held["everyday"]
    answered, checked = clinc_held["everyday_answered"], clinc_held["everyday_checked"]
    blank = " | ".join("" for _ in held)
    goal_rows += [
        f"| CLINC150 (held out) safety answers | none | {answered} of {n:,} {'met' if answered == 0 else '**not met**'} | {blank} |",
        f"| CLINC150 (held out) checked | <= 0.5% | {checked / n:.2%} ({checked}) "
        f"{'met' if checked / n <= 0.005 else '**not met**'} | {blank} |",
    ]
    return [
        "## Safety",
        "",
        "Per labelled set (scripts/evaluate.py `safety_sets()`): danger *answered* is the full safety answer "
        "(`safety`), *checked* the one caring question (`safety_check`, \"Are you safe right now?\"). The safety "
        "stage (assistant/understanding/safety.py: nets over the sentence embedding, averaged with a word and word-pair model) "
        "trains on danger.tsv, everyday.tsv, tests/data/train/, every sentence of intents/, the `tune` halves (even "
        "rows of safety_calib.tsv, safety_test.tsv, safety_blind.tsv and safety_fresh.tsv, `tune` rows of blind.tsv "
        "and dev.tsv) and CLINC150's even rows, and picks its thresholds on the tune halves pooled, each scored by "
        "a model trained without it; the `test` halves and CLINC150's odd rows were never read while training or "
        "tuning: they are the held-out rows. safety_calib.tsv and safety_fresh.tsv are the freshest: their authors "
        "saw no other set, phrase or training row, and nothing was written from them; safety_fresh.tsv was frozen "
        "before this stage's word model and newest training rows, and the shipped net before them answered its "
        "held-out half's danger 91.8%, answered or checked 96.5%, everyday answered 0.0%, checked 3.5% "
        "(commit a150e4e). safety_final.tsv was written last, by another helper who saw only intents.md, and "
        "frozen before it was first scored: it is held out whole, never trained or tuned on.",
        "",
        "| set | half | danger | answered | answered or checked | everyday | answered | checked |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        "The issue's goals, on held-out rows only:",
        "",
        "| goal (held out) | target | pooled | " + " | ".join(held) + " |",
        "|---|---|" + "---:|" * (1 + len(held)),
        *goal_rows,
        "",
    ]
