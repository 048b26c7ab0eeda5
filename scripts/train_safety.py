#!/usr/bin/env python3
"""Train the safety stage (assistant/data/safety_net.npz: three nets over the sentence embedding and a
word and word-pair model, their logits averaged) from the labelled sets, and pick its thresholds on
the tune halves only.

Training rows: tests/data/train/*.tsv (danger and hard everyday statements written for training;
a file is danger when its name says "danger", everyday when it says "everyday" or is in EVERYDAY_FILES),
tests/data/danger.tsv and everyday.tsv, every sentence of intents/ (the `safety` intent's as danger,
all others as everyday: what people ask a relationship coach is the everyday talk nearest to danger),
tests/data/distress_fresh.tsv (whole), the tune halves of the blind sets (even rows of safety_calib.tsv, safety_test.tsv, safety_blind.tsv and
safety_fresh.tsv, `tune` rows of blind.tsv, dev.tsv and distress_blind.tsv) and the even rows of CLINC150
out-of-scope. Held out, never read here: the odd rows and `test` halves, and all of safety_final.tsv.
distress_blind.tsv's `danger` rows are danger; its distress, help requests, time-outs and self-control
("i need to leave the room before i say something awful") are everyday. Like dev.tsv, its tune half is
scored left out (support guard, summary) but does not pick the thresholds: those stay on the safety sets.
Rows a self-control phrase routes past the net (intents/in_the_moment.yaml, take_break's `phrases`) are
left out of the thresholds: the net is never asked about them.

Thresholds, from leave-one-set-out probabilities on the tune halves of the safety sets and blind.tsv,
pooled: each tune half is scored by a net trained without it, as a new person's words would be. The phrases decide first.
  unsure  the lowest threshold at which at most --check-budget of the everyday rows are answered or
          asked; lower still if danger answered or checked would stay under --recall.
  doubt   a safety phrase said where the net's probability is under this is asked about, not answered:
          at most --doubt-demote of the phrase-triggered danger rows.
  sure    the lowest threshold at which at most --false-answer of the everyday rows are answered (by the
          net or an undoubted phrase), unless that answers less than --answered of the danger.
safety_calib.tsv and safety_fresh.tsv (each written from intents.md by someone who saw no other set, no
phrase and no training row) are the tune sets nothing else was derived from; the other tune halves also
shaped the phrases and the training files, so they look easier than new words are.
  support the cosine to the nearest trained danger statement a sure verdict needs (else it asks):
          the highest at which each tune half, left out, loses at most --demote of its danger answers.

Usage: .venv/bin/python scripts/train_safety.py [--recall 0.975] [--false-answer 0.005] [--check-budget 0.03]
       [--answered 0.92] [--doubt-demote 0.005] [--demote 0.01]
       [--dry-run]
Needs scikit-learn (the `train` extra: pip install -e ".[train]"). About 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluate import DATA, FINAL, OOS, SAFETY_SETS, read_tsv  # noqa: E402  (scripts/, beside this file)

from assistant.app import INTENTS_DIR  # noqa: E402
from assistant.understanding.encoder import MiniLMEncoder  # noqa: E402
from assistant.understanding.intents import load_catalogue  # noqa: E402
from assistant.understanding.lexical import WordModel  # noqa: E402
from assistant.understanding.matcher import Matcher  # noqa: E402
from assistant.understanding.normalize import normalize  # noqa: E402
from assistant.understanding.safety import NET  # noqa: E402

HIDDEN = 256  # units in the hidden layer of each member
MEMBERS = 3  # nets trained from different seeds; their logits are averaged
LEX_SHARE = 0.5  # the word model's share of the final logit (assistant/understanding/lexical.py); the nets have the rest
LEX_C = 30.0  # inverse L2 strength of the word model's logistic regression
LEX_MIN_DF = 2  # a word or word pair enters the vocabulary when at least this many training rows hold it
SEED = 0
DISTRESS = "distress_blind"  # tests/data/distress_blind.tsv: a `split` column; kind `danger` is danger
TUNE_SETS = (*SAFETY_SETS, "blind", "dev", DISTRESS)  # each set's tune half is scored by a net trained without it
POOLED = (*SAFETY_SETS, "blind")  # the tune halves that pick the thresholds, pooled (as BENCHMARKS pools the held-out ones)
# everyday training files whose names do not say so: what partners say to each other in an argument
EVERYDAY_FILES = {"argument_lines.tsv"}


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
    for name in SAFETY_SETS:
        rows += [(r["text"], int(r["label"] == "danger"), name) for r in read_tsv(DATA / f"{name}.tsv")[0::2]]
    for name in ("blind", "dev"):
        rows += [(r["text"], int(r["intent"] == "safety"), name) for r in read_tsv(DATA / f"{name}.tsv")
                 if r["split"] == "tune"]
    rows += [(r["text"], int(r["kind"] == "danger"), DISTRESS) for r in read_tsv(DATA / f"{DISTRESS}.tsv")
             if r["split"] == "tune"]
    # issue 26's fresh tune set (self-control, distress, time-outs and danger beside them): trained on whole
    rows += [(r["text"], int(r["kind"] == "danger"), "") for r in read_tsv(DATA / "distress_fresh.tsv")]
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
    for name in SAFETY_SETS:
        texts |= {r["text"] for r in read_tsv(DATA / f"{name}.tsv")[1::2]}
    for name in ("blind.tsv", "dev.tsv", f"{DISTRESS}.tsv"):
        texts |= {r["text"] for r in read_tsv(DATA / name) if r["split"] == "test"}
    texts |= {r["text"] for r in read_tsv(DATA / FINAL)}  # held out whole
    return texts | {r["text"] for r in read_tsv(OOS)[1::2]}


class Ensemble:
    """MEMBERS one-hidden-layer nets over the embedding, stored as one wider net whose output is their
    mean logit, and the word model (assistant/understanding/lexical.py), whose logit has LEX_SHARE of the final one."""

    def __init__(self) -> None:
        self.members = []
        self.vectorizer = self.words = None

    def fit(self, x: np.ndarray, y: np.ndarray, texts: list[str]) -> "Ensemble":
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        self.members = [net(SEED + k).fit(x, y) for k in range(MEMBERS)]
        self.vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=LEX_MIN_DF, sublinear_tf=True)
        self.words = LogisticRegression(C=LEX_C, max_iter=3000).fit(self.vectorizer.fit_transform(texts), y)
        return self

    def weights(self) -> dict[str, np.ndarray]:
        vocabulary = sorted(self.vectorizer.vocabulary_, key=self.vectorizer.vocabulary_.get)
        return {"w1": np.concatenate([m.coefs_[0] for m in self.members], axis=1).astype(np.float32),
                "b1": np.concatenate([m.intercepts_[0] for m in self.members]).astype(np.float32),
                "w2": (np.concatenate([m.coefs_[1] for m in self.members]) / MEMBERS).astype(np.float32),
                "b2": (sum(m.intercepts_[1] for m in self.members) / MEMBERS).astype(np.float32),
                **WordModel.arrays(vocabulary, self.vectorizer.idf_, self.words.coef_[0], self.words.intercept_[0]),
                "lex_share": np.float32(LEX_SHARE)}

    def predict(self, x: np.ndarray, texts: list[str]) -> np.ndarray:
        w = self.weights()
        logits = (np.maximum(x @ w["w1"] + w["b1"], 0) @ w["w2"] + w["b2"]).reshape(-1)
        lex = self.words.decision_function(self.vectorizer.transform(texts))
        return 1 / (1 + np.exp(-((1 - LEX_SHARE) * logits + LEX_SHARE * lex)))

    def check(self, texts: list[str]) -> float:
        """The largest gap between scikit-learn's word logits and assistant/understanding/lexical.py's on these texts."""
        w = self.weights()
        ours = WordModel.from_arrays(w["lex_vocab"], w["lex_idf"], w["lex_coef"], w["lex_b"]).logits(texts)
        return float(np.max(np.abs(ours - self.words.decision_function(self.vectorizer.transform(texts)))))


def net(seed: int = SEED):
    from sklearn.neural_network import MLPClassifier
    return MLPClassifier(hidden_layer_sizes=(HIDDEN,), alpha=1e-3, max_iter=300, random_state=seed,
                         early_stopping=True)


def thresholds(p: np.ndarray, y: np.ndarray, phrase: np.ndarray, recall: float, false_answer: float,
               answered: float, check_budget: float, doubt_demote: float) -> tuple[float, float, float, str]:
    """(unsure, sure, phrase_doubt, what bound them), over the tune halves pooled (a set of 70 rows moves
    1.4% a row; per-set thresholds chased the noise of the smallest set).
    `unsure`: the question may be asked of up to --check-budget of the everyday rows (answered or asked)
    to catch more danger; lower still if danger answered or checked would stay under --recall.
    `phrase_doubt`: a safety phrase is answered unless the net's probability is under this (then it is
    asked about: "he shot me a look"): at most --doubt-demote of the phrase-triggered danger rows.
    `sure`: at most --false-answer of the everyday rows answered (by the net or an undoubted phrase),
    unless that answers less than --answered of the danger outright; then safety comes first and `sure`
    is the highest threshold that still answers that much."""
    grid = np.round(np.arange(0.02, 0.995, 0.005), 3)
    danger, everyday = y == 1, y == 0
    flagged = lambda t, k: np.mean((phrase | (p >= t))[k])  # noqa: E731
    by_budget = min([t for t in grid if flagged(t, everyday) <= check_budget], default=0.99)
    by_recall = max([t for t in grid if flagged(t, danger) >= recall], default=0.02)
    unsure = min(by_budget, by_recall)
    said = phrase & danger
    doubt = max([t for t in np.round(np.arange(0.0, 0.9, 0.005), 3)
                 if np.sum(said & (p < t)) <= doubt_demote * max(1, said.sum())], default=0.0)
    answers = lambda t, k: np.mean(((phrase & (p >= doubt)) | (p >= t))[k])  # noqa: E731
    sure = min([t for t in grid if answers(t, everyday) <= false_answer], default=0.99)
    bound = f"everyday answered <= {false_answer:.1%}"
    if answers(sure, danger) < answered:
        sure = max([t for t in grid if answers(t, danger) >= answered], default=0.02)
        bound = f"danger answered >= {answered:.0%} (everyday answered <= {false_answer:.1%} was out of reach)"
    bound += (f"; asked within everyday flagged <= {check_budget:.1%}" if by_budget <= by_recall
              else f"; asked for danger answered or checked >= {recall:.1%} (beyond everyday flagged <= {check_budget:.1%})")
    return float(min(unsure, sure)), float(sure), float(doubt), bound


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


def leave_set_out(x: np.ndarray, y: np.ndarray, sets: np.ndarray, texts: list[str]) -> np.ndarray:
    """Each tune set's rows scored by an ensemble trained on every other row."""
    p = np.full(len(y), np.nan)
    t = np.array(texts, dtype=object)
    for k, name in enumerate(TUNE_SETS):
        out = sets == name
        p[out] = Ensemble().fit(x[~out], y[~out], list(t[~out])).predict(x[out], list(t[out]))
        print(f"train_safety: {name} scored by a net trained without it ({k + 1}/{len(TUNE_SETS)})", file=sys.stderr)
    return p


def summary(p: np.ndarray, y: np.ndarray, phrase: np.ndarray, sets: np.ndarray, unsure: float, sure: float,
            doubt: float, support: float, near: dict[str, np.ndarray], calm: np.ndarray) -> str:
    lines = []
    supported = np.zeros(len(y), dtype=bool)
    for name in TUNE_SETS:
        supported[sets == name] = near[name] >= support
    for name in TUNE_SETS:
        k = sets == name
        d, e = k & (y == 1), k & (y == 0)
        answered = ((phrase & (p >= doubt)) | ((p >= sure) & supported)) & ~calm  # self-control: not asked
        flagged = (phrase | (p >= unsure)) & ~calm
        danger = (f"danger answered {np.mean(answered[d]):.1%}, answered or checked {np.mean(flagged[d]):.1%} "
                  f"({d.sum()}); " if d.any() else "")
        lines.append(f"  {name} tune half: {danger}everyday answered {np.mean(answered[e]):.1%}, "
                     f"checked {np.mean(flagged[e] & ~answered[e]):.1%} ({e.sum()})")
    return "\n".join(lines)


def self_control_summary(p: np.ndarray, phrase: np.ndarray, calm: np.ndarray, sets: np.ndarray, texts: list[str],
                         unsure: float, sure: float, doubt: float) -> str:
    """The self-control rows of distress_blind.tsv's tune half, left out: how many a self-control phrase takes
    to the break, and of the rest, how many the net would answer or ask about (the intents take the others)."""
    kinds = {normalize(r["text"]): r["kind"] for r in read_tsv(DATA / f"{DISTRESS}.tsv") if r["split"] == "tune"}
    k = (sets == DISTRESS) & np.array([kinds.get(t) == "self_control" for t in texts])
    rest = k & ~calm
    answered = rest & ((phrase & (p >= doubt)) | (~phrase & (p >= sure)))
    asked = rest & ~answered & (phrase | (p >= unsure))
    return (f"  {DISTRESS} self-control rows, tune half ({k.sum()}): {np.sum(k & calm)} taken to the break by a "
            f"self-control phrase; of the other {rest.sum()}, {answered.sum()} answered, {asked.sum()} asked about")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recall", type=float, default=0.975,
                    help="danger answered or checked in the tune halves, each left out of training (0-1)")
    ap.add_argument("--false-answer", type=float, default=0.005,
                    help="everyday rows answered with safety in the tune halves, each left out of training (0-1)")
    ap.add_argument("--check-budget", type=float, default=0.03,
                    help="everyday rows of the tune halves answered or asked the safety question, spent to catch "
                         "more danger (0-1)")
    ap.add_argument("--answered", type=float, default=0.92,
                    help="danger answered outright in the tune halves, each left out of training, before everyday "
                         "false answers are traded for it (0-1)")
    ap.add_argument("--demote", type=float, default=0.01,
                    help="danger rows of each tune half, left out, that the support guard may move from the "
                         "answer to the question (0-1)")
    ap.add_argument("--doubt-demote", type=float, default=0.005,
                    help="phrase-triggered danger rows of the tune halves, left out, that the net's doubt may move "
                         "from the answer to the question (0-1)")
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
    triggered = [matcher.triggered(t) for t in texts]
    phrase = np.array([t == "safety" for t in triggered])
    calm = np.array([t is not None and t != "safety" for t in triggered])  # self-control: never reaches the net
    p = leave_set_out(x, y, sets, texts)
    tune = np.isin(sets, POOLED) & ~calm
    unsure, sure, doubt, bound = thresholds(p[tune], y[tune], phrase[tune], args.recall, args.false_answer,
                                            args.answered, args.check_budget, args.doubt_demote)
    print(f"thresholds from the tune halves, each left out of training: unsure {unsure:.3f}, sure {sure:.3f}, "
          f"phrase doubted under {doubt:.3f} (bound by {bound})")
    support, near = support_min(x, p, y, phrase, sets, sure, args.demote)
    print(f"support guard: a sure verdict needs a trained danger statement within cosine {support:.2f}; then")
    print(summary(p, y, phrase, sets, unsure, sure, doubt, support, near, calm))
    print(self_control_summary(p, phrase, calm, sets, texts, unsure, sure, doubt))
    if args.dry_run:
        return 0
    model = Ensemble().fit(x, y, texts)
    gap = model.check(texts[:2000])
    if gap > 1e-3:
        print(f"train_safety: assistant/understanding/lexical.py disagrees with scikit-learn by {gap:.2g} in a logit; not written",
              file=sys.stderr)
        return 1
    np.savez_compressed(NET, **model.weights(), sure=np.float32(sure), unsure=np.float32(unsure),
                        phrase_doubt=np.float32(doubt), encoder=np.str_(encoder.name),
             support=np.round(unit(x[y == 1]) * 127).astype(np.int8), support_min=np.float32(support))
    print(f"train_safety: wrote {NET.relative_to(ROOT)} in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
