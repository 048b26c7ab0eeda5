#!/usr/bin/env python3
"""Train the safety net (assistant/data/safety_net.npz) from the labelled sets, and pick its two
thresholds on the tune halves only.

Training rows: tests/data/train/*.tsv (danger and hard everyday statements written for training;
a file is danger when its name says "danger", everyday when it says "everyday" or is in EVERYDAY_FILES),
tests/data/danger.tsv and everyday.tsv, every sentence of intents/ (the `safety` intent's as danger,
all others as everyday: what people ask a relationship coach is the everyday talk nearest to danger),
the tune halves of the blind sets (even rows of safety_calib.tsv, safety_test.tsv and safety_blind.tsv,
`tune` rows of blind.tsv and dev.tsv) and the even rows of CLINC150 out-of-scope. Held out, never read here: the
odd rows and `test` halves.

Thresholds, from leave-one-set-out probabilities on the tune halves: each tune half is scored by a
net trained without it, as a new person's words would be. The phrases decide first.
  unsure  the highest threshold at which danger is answered or checked for --recall of each set's;
  sure    the lowest threshold at which each set's everyday rows are answered for at most --false-answer,
          unless that answers less than --answered of some set's danger: safety first, then.
safety_calib.tsv (written from intents.md by someone who saw no other set, no phrase and no training
row) is the one tune set nothing else was derived from; the other tune halves also shaped the phrases
and the training files, so they look easier than new words are.
  support the cosine to the nearest trained danger statement a sure verdict needs (else it asks):
          the highest at which each tune half, left out, loses at most --demote of its danger answers.

Usage: .venv/bin/python scripts/train_safety.py [--recall 0.975] [--false-answer 0.02] [--answered 0.92]
       [--dry-run]
Needs scikit-learn (the `train` extra: pip install -e ".[train]"). About 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.app import INTENTS_DIR  # noqa: E402
from assistant.encoder import MiniLMEncoder  # noqa: E402
from assistant.intents import load_catalogue  # noqa: E402
from assistant.matcher import Matcher  # noqa: E402
from assistant.normalize import normalize  # noqa: E402
from assistant.safety import NET  # noqa: E402

DATA = ROOT / "tests" / "data"
OOS = ROOT.parent / "shared" / "data" / "clinc150_out_of_scope.tsv"
HIDDEN = 256  # units in the hidden layer of each member
MEMBERS = 3  # nets trained from different seeds; their logits are averaged
SEED = 0
TUNE_SETS = ("safety_calib", "safety_test", "safety_blind", "blind", "dev")  # each set's tune half picks the thresholds
PER_SET_RECALL = 40  # a set's danger recall constrains `unsure` when it has at least this many danger rows
# everyday training files whose names do not say so: what partners say to each other in an argument
EVERYDAY_FILES = {"argument_lines.tsv"}


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def training_rows() -> list[tuple[str, int, str]]:
    """(text, 1 for danger, the tune set it belongs to or "" for rows only trained on)."""
    rows: list[tuple[str, int, str]] = []
    for path in sorted((DATA / "train").glob("*.tsv")):
        rows += [(r["text"], train_label(path), "") for r in read_tsv(path)]
    rows += [(r["text"], 1, "") for r in read_tsv(DATA / "danger.tsv")]
    rows += [(r["text"], 0, "") for r in read_tsv(DATA / "everyday.tsv")]
    seen: set[str] = set()
    for s in load_catalogue(INTENTS_DIR).sentences:
        if s.text not in seen:
            seen.add(s.text)
            rows.append((s.text, int(s.intent == "safety"), ""))
    for name in ("safety_calib", "safety_test", "safety_blind"):
        rows += [(r["text"], int(r["label"] == "danger"), name) for r in read_tsv(DATA / f"{name}.tsv")[0::2]]
    for name in ("blind", "dev"):
        rows += [(r["text"], int(r["intent"] == "safety"), name) for r in read_tsv(DATA / f"{name}.tsv")
                 if r["split"] == "tune"]
    rows += [(r["text"], 0, "") for r in read_tsv(OOS)[0::2]]
    held = held_out()
    return [row for row in rows if row[0] not in held]


def train_label(path: Path) -> int:
    """1 for a file of danger statements (its name says "danger"), 0 for everyday ones (its name says
    "everyday", or it is listed in EVERYDAY_FILES); any other name is refused rather than guessed."""
    danger, everyday = "danger" in path.name, "everyday" in path.name or path.name in EVERYDAY_FILES
    if danger == everyday:
        raise SystemExit(f"train_safety: {path.name}: cannot tell danger from everyday by its name; put "
                         "'danger' or 'everyday' in it, or list it in EVERYDAY_FILES")
    return int(danger)


def held_out() -> set[str]:
    """The texts of the held-out halves: a training row that happens to say the same is dropped."""
    texts = set()
    for name in ("safety_calib.tsv", "safety_test.tsv", "safety_blind.tsv"):
        texts |= {r["text"] for r in read_tsv(DATA / name)[1::2]}
    for name in ("blind.tsv", "dev.tsv"):
        texts |= {r["text"] for r in read_tsv(DATA / name) if r["split"] == "test"}
    return texts | {r["text"] for r in read_tsv(OOS)[1::2]}


class Ensemble:
    """MEMBERS one-hidden-layer nets, stored as one wider net whose output is their mean logit."""

    def __init__(self) -> None:
        self.members = []

    def fit(self, x: np.ndarray, y: np.ndarray) -> "Ensemble":
        self.members = [net(SEED + k).fit(x, y) for k in range(MEMBERS)]
        return self

    def weights(self) -> dict[str, np.ndarray]:
        return {"w1": np.concatenate([m.coefs_[0] for m in self.members], axis=1).astype(np.float32),
                "b1": np.concatenate([m.intercepts_[0] for m in self.members]).astype(np.float32),
                "w2": (np.concatenate([m.coefs_[1] for m in self.members]) / MEMBERS).astype(np.float32),
                "b2": (sum(m.intercepts_[1] for m in self.members) / MEMBERS).astype(np.float32)}

    def predict(self, x: np.ndarray) -> np.ndarray:
        w = self.weights()
        logits = (np.maximum(x @ w["w1"] + w["b1"], 0) @ w["w2"] + w["b2"]).reshape(-1)
        return 1 / (1 + np.exp(-logits))


def net(seed: int = SEED):
    from sklearn.neural_network import MLPClassifier
    return MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-3, max_iter=300, random_state=seed,
                         early_stopping=True)


def thresholds(p: np.ndarray, y: np.ndarray, phrase: np.ndarray, sets: np.ndarray, recall: float,
               false_answer: float, answered: float) -> tuple[float, float, str]:
    """(unsure, sure, what bound `sure`). `unsure`: --recall of danger answered or checked in every tune
    set with PER_SET_RECALL danger rows or more. `sure`: at most --false-answer of every set's everyday
    rows answered, unless that answers less than --answered of some set's danger outright; then safety
    comes first and `sure` is the highest threshold that still answers that much."""
    grid = np.round(np.arange(0.02, 0.995, 0.005), 3)
    danger = [(sets == s) & (y == 1) for s in TUNE_SETS if np.sum((sets == s) & (y == 1)) >= PER_SET_RECALL]
    everyday = [(sets == s) & (y == 0) for s in TUNE_SETS if np.any((sets == s) & (y == 0))]
    flagged = lambda t, k: np.mean(phrase[k] | (p[k] >= t))  # noqa: E731
    unsure = max([t for t in grid if all(flagged(t, k) >= recall for k in danger)], default=0.02)
    sure = min([t for t in grid if all(flagged(t, k) <= false_answer for k in everyday)], default=0.99)
    bound = f"everyday answered <= {false_answer:.0%}"
    if not all(flagged(sure, k) >= answered for k in danger):
        sure = max([t for t in grid if all(flagged(t, k) >= answered for k in danger)], default=0.02)
        bound = f"danger answered >= {answered:.0%} (everyday answered <= {false_answer:.0%} was out of reach)"
    return float(unsure), float(max(sure, unsure)), bound


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)


def support_min(x: np.ndarray, p: np.ndarray, y: np.ndarray, phrase: np.ndarray, sets: np.ndarray,
                sure: float, demote: float) -> tuple[float, dict[str, np.ndarray]]:
    """The highest cosine to the nearest trained danger statement a sure verdict may require while each
    tune set, left out, loses at most --demote of its danger rows from the answer to the question; and
    each tune row's nearest cosine (to the danger rows of the other sets)."""
    near = {}
    for name in TUNE_SETS:
        own = sets == name
        near[name] = (unit(x[own]) @ unit(x[~own & (y == 1)]).T).max(axis=1)
    grid = np.round(np.arange(0.30, 0.80, 0.01), 2)

    def demoted(q: float, name: str) -> int:
        k = sets == name
        return int(np.sum((y[k] == 1) & (p[k] >= sure) & ~phrase[k] & (near[name] < q)))
    best = max([q for q in grid if all(demoted(q, n) <= demote * np.sum((sets == n) & (y == 1)) for n in TUNE_SETS)],
               default=0.0)
    return float(best), near


def leave_set_out(x: np.ndarray, y: np.ndarray, sets: np.ndarray) -> np.ndarray:
    """Each tune set's rows scored by an ensemble trained on every other row."""
    p = np.full(len(y), np.nan)
    for k, name in enumerate(TUNE_SETS):
        out = sets == name
        p[out] = Ensemble().fit(x[~out], y[~out]).predict(x[out])
        print(f"train_safety: {name} scored by a net trained without it ({k + 1}/{len(TUNE_SETS)})", file=sys.stderr)
    return p


def summary(p: np.ndarray, y: np.ndarray, phrase: np.ndarray, sets: np.ndarray, unsure: float, sure: float,
            support: float, near: dict[str, np.ndarray]) -> str:
    lines = []
    supported = np.zeros(len(y), dtype=bool)
    for name in TUNE_SETS:
        supported[sets == name] = near[name] >= support
    for name in TUNE_SETS:
        k = sets == name
        d, e = k & (y == 1), k & (y == 0)
        answered, flagged = phrase | ((p >= sure) & supported), phrase | (p >= unsure)
        lines.append(f"  {name} tune half: danger answered {np.mean(answered[d]):.1%}, answered or checked "
                     f"{np.mean(flagged[d]):.1%} ({d.sum()}); everyday answered {np.mean(answered[e]):.1%}, "
                     f"checked {np.mean(flagged[e] & ~answered[e]):.1%} ({e.sum()})")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recall", type=float, default=0.975,
                    help="danger answered or checked in each tune half, left out of training (0-1)")
    ap.add_argument("--false-answer", type=float, default=0.02,
                    help="everyday rows answered with safety in each tune half, left out of training (0-1)")
    ap.add_argument("--answered", type=float, default=0.92,
                    help="danger answered outright in each tune half, left out of training, before everyday "
                         "false answers are traded for it (0-1)")
    ap.add_argument("--demote", type=float, default=0.01,
                    help="danger rows of each tune half, left out, that the support guard may move from the "
                         "answer to the question (0-1)")
    ap.add_argument("--dry-run", action="store_true", help="report, do not write the net")
    args = ap.parse_args()
    try:
        import sklearn  # noqa: F401
    except ImportError:
        print("train_safety: scikit-learn is missing; run .venv/bin/pip install -e '.[train]'", file=sys.stderr)
        return 2
    started = time.monotonic()
    rows = training_rows()
    texts = [normalize(t) for t, _, _ in rows]
    y = np.array([label for _, label, _ in rows])
    sets = np.array([s for _, _, s in rows])
    print(f"train_safety: {len(rows):,} rows ({int(y.sum()):,} danger), embedding...", file=sys.stderr)
    encoder = MiniLMEncoder()
    x = encoder.embed(texts)
    matcher = Matcher(load_catalogue(INTENTS_DIR))
    phrase = np.array([matcher.triggered(t) == "safety" for t in texts])
    p = leave_set_out(x, y, sets)
    tune = sets != ""
    unsure, sure, bound = thresholds(p[tune], y[tune], phrase[tune], sets[tune], args.recall, args.false_answer,
                                     args.answered)
    print(f"thresholds from the tune halves, each left out of training: unsure {unsure:.3f}, sure {sure:.3f} "
          f"(bound by {bound})")
    support, near = support_min(x, p, y, phrase, sets, sure, args.demote)
    print(f"support guard: a sure verdict needs a trained danger statement within cosine {support:.2f}; then")
    print(summary(p, y, phrase, sets, unsure, sure, support, near))
    if args.dry_run:
        return 0
    model = Ensemble().fit(x, y)
    np.savez(NET, **model.weights(), sure=np.float32(sure), unsure=np.float32(unsure), encoder=np.str_(encoder.name),
             support=np.round(unit(x[y == 1]) * 127).astype(np.int8), support_min=np.float32(support))
    print(f"train_safety: wrote {NET.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
