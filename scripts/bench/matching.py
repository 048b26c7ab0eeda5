"""Intent matching: latency with the shipped intents and with synthetic catalogues of 1,000 /
10,000 / 100,000 sentences, beside a difflib baseline over the same sentences."""

from __future__ import annotations

import difflib
import random
import statistics
import time
from dataclasses import replace

from evaluate import dev_rows

from assistant.intents import Catalogue, Sentence
from assistant.matcher import Matcher
from assistant.normalize import normalize

from .common import Run, percentile, time_queries


def synthetic(base: Catalogue, size: int, seed: int = 7) -> Catalogue:
    rng = random.Random(seed)
    words = sorted({w for s in base.sentences for w in s.text.split()})
    sentences = list(base.sentences)
    n_intents = max(1, (size - len(sentences)) // 200)
    while len(sentences) < size:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 10)))
        sentences.append(Sentence(text, f"synthetic_{rng.randrange(n_intents)}"))
    return replace(base, sentences=tuple(sentences[:size]))


class DifflibMatcher:
    """The baseline: best SequenceMatcher ratio over the same sentences (no threshold tuning)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.sentences = catalogue.sentences

    def match(self, text: str):
        query = normalize(text)
        best, best_score = None, -1.0
        sm = difflib.SequenceMatcher(autojunk=False)
        sm.set_seq2(query)
        for s in self.sentences:
            sm.set_seq1(s.text)
            if sm.real_quick_ratio() > best_score and sm.quick_ratio() > best_score:
                score = sm.ratio()
                if score > best_score:
                    best, best_score = s, score
        return best, best_score


def section(run: Run) -> list[str]:
    app, quick = run.app, run.quick
    dev = dev_rows("all")
    queries = [r["text"] for r in dev]

    run.progress("timing the matcher on the dev set")
    app.matcher.match("warm up")
    shipped = time_queries(app.matcher.match, queries, repeat=1 if quick else 5)

    run.progress("difflib baseline on the same sentences")
    baseline = DifflibMatcher(app.catalogue)
    sample = queries[:: max(1, len(queries) // (20 if quick else 60))]
    base_times = time_queries(baseline.match, sample)
    ours_right = sum(app.matcher.match(r["text"]).intent == r["intent"] for r in dev if r["intent"])
    scored = [r for r in (dev[:: max(1, len(dev) // 60)] if quick else dev) if r["intent"]]
    base_right = sum(baseline.match(r["text"])[0].intent == r["intent"] for r in scored)
    base_acc = base_right / len(scored)

    rows_scale = []
    sizes = [1_000, 10_000] if quick else [1_000, 10_000, 100_000]
    embedder = app.matcher._embedder
    for size in sizes:
        run.progress(f"synthetic catalogue of {size:,} sentences")
        cat = synthetic(app.catalogue, size)
        t = time.perf_counter()
        m = Matcher(cat, app.matcher.settings, embedder)
        build_s = time.perf_counter() - t
        times = time_queries(m.match, queries[:: 2 if size <= 10_000 else 4])
        rows_scale.append((size, build_s, statistics.median(times), percentile(times, 99)))

    n_sent = len(app.catalogue.sentences)
    return [
        "## Intent matching",
        "",
        f"Shipped intents: {len(app.catalogue.intents)} intents, {n_sent:,} expanded sentences; "
        f"loading intents, content and embeddings took {run.load_s:.2f} s.",
        "",
        "| matcher | sentences | p50 ms | p99 ms | top-1 (dev, intents only) |",
        "|---|---:|---:|---:|---:|",
        f"| rapidfuzz + WordLlama (shipped) | {n_sent:,} | {statistics.median(shipped):.2f} | "
        f"{percentile(shipped, 99):.2f} | {ours_right / sum(1 for r in dev if r['intent']):.1%} |",
        f"| difflib SequenceMatcher (baseline, best ratio; timed on {len(sample)} queries, top-1 on "
        f"{len(scored)}) | {n_sent:,} | "
        f"{statistics.median(base_times):.2f} | {percentile(base_times, 99):.2f} | {base_acc:.1%} |",
        "",
        f"rapidfuzz + WordLlama is {statistics.median(base_times) / statistics.median(shipped):.0f}x faster "
        "(median) than the difflib baseline over the same sentences.",
        "",
        "How cost grows (synthetic sentences from the shipped vocabulary added to the shipped ones):",
        "",
        "| sentences | build s | p50 ms | p99 ms |",
        "|---:|---:|---:|---:|",
        *[f"| {size:,} | {b:.2f} | {p50:.2f} | {p99:.2f} |" for size, b, p50, p99 in rows_scale],
        "",
    ]
