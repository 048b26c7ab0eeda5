"""Distress, help and self-control (tests/data/distress_blind.tsv, written blind from intents.md, frozen
before any tuning): per kind, on the tune half (intents/, the safety phrases and the safety stage's
training saw it) and the held-out half (never read while tuning or training): understood (an intent
the row's `accept` lists), the break or a time-out, the safety answer, the safety question. Then the
room: what the addressing rule (assistant/room/addressed.py) does with distress said out of the blue,
on the matcher's own verdicts (text, not the live rig): couples' talk acted on (tests/data/room_chatter.tsv)
and distress taken, with distress held to the bar of every other request and with its own bar."""

from __future__ import annotations

from dataclasses import replace

from evaluate import DATA, DISTRESS_KINDS, distress_goals, distress_outcomes, distress_rows, read_tsv

from assistant.room.addressed import SAFETY_INTENTS, Addressing, AddressSettings

from .common import Run

GOALS = {"distress understood": (">= 90%", lambda x: x >= 0.90),
         "self-control to the break or a time-out": (">= 95%", lambda x: x >= 0.95),
         "self-control given the safety answer": ("<= 1%", lambda x: x <= 0.01)}


def _pct(k: int, n: int) -> str:
    return f"{k / n:.1%}" if n else "-"


def out_of_the_blue(matches: list, settings: AddressSettings) -> list[bool]:
    """Whether the addressing rule acts on each (intent, score, text) heard with nothing going on, long after
    the assistant last spoke (safety aside: it is always heard)."""
    class Clock:
        def __call__(self) -> float:
            return 1000.0

    acted = []
    for intent, score, text in matches:
        a = Addressing(settings, clock=Clock())
        a.last_spoke = -1e9
        acted.append(intent not in SAFETY_INTENTS and a.decide(intent, score, text, busy=False).act)
    return acted


def room(run: Run) -> list[str]:
    matcher = run.app.matcher
    shipped = AddressSettings()
    general = replace(shipped, unprompted_distress=shipped.unprompted)
    lines = ["| out of the blue, no wake word | distress held to the general bar "
             f"({shipped.unprompted:g}) | distress at its own bar ({shipped.unprompted_distress:g}, shipped) |",
             "|---|---:|---:|"]
    chatter = read_tsv(DATA / "room_chatter.tsv")
    for k, label in ((0, "even rows, chose the bar"), (1, "odd rows, held out")):
        rows = [r["text"] for i, r in enumerate(chatter) if i % 2 == k]
        heard = [(m.intent, m.score, t) for t in rows for m in [matcher.match(t)]]
        a, b = sum(out_of_the_blue(heard, general)), sum(out_of_the_blue(heard, shipped))
        lines.append(f"| couples' talk acted on (room_chatter.tsv, {label}) | {a} of {len(rows)} | {b} of {len(rows)} |")
    for split, label in (("tune", "tune half, chose the bar"), ("test", "held out")):
        rows = [r for r in distress_rows(split) if r["kind"] in ("distress_words", "help_request")]
        heard = [(m.intent, m.score, r["text"]) for r in rows for m in [matcher.match(r["text"])]]
        fair = [h[0] is not None and h[0] in r["accept"] for h, r in zip(heard, rows)]
        a, taken = (sum(f and x for f, x in zip(fair, out_of_the_blue(heard, st))) for st in (general, shipped))
        lines.append(f"| distress words and help requests understood and taken ({label}) | {a} of {len(rows)} "
                     f"| {taken} of {len(rows)} |")
    for split, label in (("tune", "tune half"), ("test", "held out")):
        rows = [r for r in distress_rows(split) if r["kind"] == "self_control"]
        heard = [(m.intent, m.score, r["text"]) for r in rows for m in [matcher.match(r["text"])]]
        brk = [h[0] in ("take_break", "time_out") for h in heard]
        counts = [sum(b and x for b, x in zip(brk, out_of_the_blue(heard, st))) for st in (general, shipped)]
        lines.append(f"| self-control given the break or a time-out and taken ({label}; a self-control phrase "
                     f"scores 100) | {counts[0]} of {len(rows)} | {counts[1]} of {len(rows)} |")
    return lines


def section(run: Run) -> list[str]:
    run.progress("distress: distress_blind.tsv per kind, both halves; the room's addressing rule on distress")
    tables, goals = [], {}
    for split in ("tune", "test"):
        out = distress_outcomes(run.app.matcher, distress_rows(split))
        goals[split] = distress_goals(out)
        for kind in DISTRESS_KINDS:
            o = out.get(kind)
            if o is None:
                continue
            n = o["rows"]
            tables.append(f"| {kind} | {'**held out**' if split == 'test' else 'tune'} | {n} | "
                          f"{_pct(o['understood'], n)} | {_pct(o['break'], n)} | {_pct(o['safety'], n)} | "
                          f"{_pct(o['safety_check'], n)} |")
    goal_rows = []
    for label, (target, ok) in GOALS.items():
        k, n = goals["test"][label]
        kt, nt = goals["tune"][label]
        goal_rows.append(f"| {label} | {target} | {k} of {n}, {_pct(k, n)} "
                         f"{'met' if n and ok(k / n) else '**not met**'} | {kt} of {nt}, {_pct(kt, nt)} |")
    return [
        "## Distress, help and self-control",
        "",
        "tests/data/distress_blind.tsv: 600 rows written from intents.md alone by a helper who saw no intents/ or "
        "content/, frozen before any tuning; tune and held-out (`test`) rows alternate per kind. Sentences were added "
        "to intents/ and self-control phrases to take_break only from misses on the tune half and on "
        "tests/data/distress_fresh.tsv and distress_fresh2.tsv (650 and 400 more rows, all for tuning, written the "
        "same way by other helpers: the urge named beside a step away, things they fear breaking; slang, rambling and "
        "indirect speech); the safety net also trains on the first (not the second); the safety stage "
        "trains on the tune half (scripts/train_safety.py); the held-out half was only scored. *Understood*: an "
        "intent the row's `accept` column lists (distress words: distress or take_break; help requests: distress, "
        "or help where the row asks what it can do; self-control: take_break or time_out; time-outs: time_out; "
        "danger: safety or safety_check).",
        "",
        "| kind | half | rows | understood | break or time-out | safety answer | safety question |",
        "|---|---|---:|---:|---:|---:|---:|",
        *tables,
        "",
        "The issue's goals:",
        "",
        "| goal | target | held out | tune half |",
        "|---|---|---:|---:|",
        *goal_rows,
        "",
        "Out of the blue in a room (no wake word, long after it last spoke; assistant/room/addressed.py on the "
        "matcher's verdicts, in text): a request needs `unprompted` to be acted on, distress its own "
        "`unprompted_distress`; danger is always heard and is left out here.",
        "",
        *room(run),
        "",
    ]
