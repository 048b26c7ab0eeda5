#!/usr/bin/env python3
"""Train the safety net (assistant/data/safety_net.npz) from the labelled sets, and pick its two
thresholds on the tune halves only.

Training rows: tests/data/train/*.tsv (danger and hard everyday statements written for training;
a file is danger when its name says "danger", everyday when it says "everyday" or is in EVERYDAY_FILES),
tests/data/danger.tsv and everyday.tsv, the tune halves of the blind sets (even rows of
safety_test.tsv and safety_blind.tsv, `tune` rows of blind.tsv and dev.tsv) and the even rows of
CLINC150 out-of-scope. Held out, never read here: the odd rows and `test` halves.

Thresholds, from 5-fold cross-validated probabilities on the tune-half rows (together with the
phrases, which decide first):
  unsure  the highest threshold at which danger is answered or checked for --recall of them;
  sure    the lowest threshold at which everyday rows are answered for at most --false-answer.

Usage: .venv/bin/python scripts/train_safety.py [--recall 0.98] [--false-answer 0.02] [--dry-run]
Needs scikit-learn (the `train` extra: pip install -e ".[train]").
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
# everyday training files whose names do not say so: what partners say to each other in an argument
EVERYDAY_FILES = {"argument_lines.tsv"}


def read_tsv(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def training_rows() -> list[tuple[str, int, bool]]:
    """(text, 1 for danger, True when the row belongs to a tune half used to pick thresholds)."""
    rows: list[tuple[str, int, bool]] = []
    for path in sorted((DATA / "train").glob("*.tsv")):
        rows += [(r["text"], train_label(path), False) for r in read_tsv(path)]
    rows += [(r["text"], 1, False) for r in read_tsv(DATA / "danger.tsv")]
    rows += [(r["text"], 0, False) for r in read_tsv(DATA / "everyday.tsv")]
    for name in ("safety_test.tsv", "safety_blind.tsv"):
        rows += [(r["text"], int(r["label"] == "danger"), True) for r in read_tsv(DATA / name)[0::2]]
    for name in ("blind.tsv", "dev.tsv"):
        rows += [(r["text"], int(r["intent"] == "safety"), True) for r in read_tsv(DATA / name) if r["split"] == "tune"]
    rows += [(r["text"], 0, False) for r in read_tsv(OOS)[0::2]]
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
    for name in ("safety_test.tsv", "safety_blind.tsv"):
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


def thresholds(p: np.ndarray, y: np.ndarray, phrase: np.ndarray, recall: float, false_answer: float) -> tuple[float, float]:
    grid = np.round(np.arange(0.02, 0.995, 0.005), 3)
    unsure = max([t for t in grid if np.mean(phrase[y == 1] | (p[y == 1] >= t)) >= recall], default=0.02)
    sure = min([t for t in grid if np.mean(phrase[y == 0] | (p[y == 0] >= t)) <= false_answer], default=0.99)
    return float(unsure), float(max(sure, unsure))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recall", type=float, default=0.98, help="danger answered or checked on the tune halves (0-1)")
    ap.add_argument("--false-answer", type=float, default=0.02,
                    help="everyday rows answered with safety on the tune halves (0-1)")
    ap.add_argument("--dry-run", action="store_true", help="report, do not write the net")
    args = ap.parse_args()
    try:
        from sklearn.model_selection import StratifiedKFold
    except ImportError:
        print("train_safety: scikit-learn is missing; run .venv/bin/pip install -e '.[train]'", file=sys.stderr)
        return 2
    started = time.monotonic()
    rows = training_rows()
    texts = [normalize(t) for t, _, _ in rows]
    y = np.array([label for _, label, _ in rows])
    tune = np.array([t for _, _, t in rows])
    print(f"train_safety: {len(rows):,} rows ({int(y.sum()):,} danger), embedding...", file=sys.stderr)
    encoder = MiniLMEncoder()
    x = encoder.embed(texts)
    matcher = Matcher(load_catalogue(INTENTS_DIR))
    phrase = np.array([matcher.triggered(t) == "safety" for t in texts])
    cv = np.zeros(len(y))
    for fold, (train, test) in enumerate(StratifiedKFold(5, shuffle=True, random_state=SEED).split(x, y)):
        cv[test] = Ensemble().fit(x[train], y[train]).predict(x[test])
        print(f"train_safety: cross-validation fold {fold + 1}/5", file=sys.stderr)
    unsure, sure = thresholds(cv[tune], y[tune], phrase[tune], args.recall, args.false_answer)
    ty, tp, tph = y[tune], cv[tune], phrase[tune]
    print(f"tune halves ({int(tune.sum())} rows, cross-validated): unsure {unsure:.3f}, sure {sure:.3f}; "
          f"danger answered {np.mean(tph[ty == 1] | (tp[ty == 1] >= sure)):.1%}, answered or checked "
          f"{np.mean(tph[ty == 1] | (tp[ty == 1] >= unsure)):.1%}; everyday answered "
          f"{np.mean(tph[ty == 0] | (tp[ty == 0] >= sure)):.1%}, checked "
          f"{np.mean(~tph[ty == 0] & (tp[ty == 0] >= unsure) & (tp[ty == 0] < sure)):.1%}")
    model = Ensemble().fit(x, y)
    if args.dry_run:
        return 0
    np.savez(NET, **model.weights(), sure=np.float32(sure), unsure=np.float32(unsure), encoder=np.str_(encoder.name))
    print(f"train_safety: wrote {NET.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
