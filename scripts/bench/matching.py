"""Intent matching: four matchers side by side on the same sentences and the same queries (difflib,
rapidfuzz alone, rapidfuzz + WordLlama, rapidfuzz + MiniLM with the safety net as shipped): match
time, top-1 on the held-out halves of the dev and blind sets, CLINC150 false accepts; then how the
shipped matcher's cost grows with synthetic catalogues of 1,000 / 10,000 / 100,000 sentences."""

from __future__ import annotations

import random
import statistics
import time
from dataclasses import replace

from evaluate import BLIND, dev_rows

from assistant.understanding.intents import Catalogue, Sentence
from assistant.understanding.matcher import Matcher

from .baselines import WORDLLAMA_SETTINGS, DifflibMatcher, TiledEncoder, WordLlamaEmbedder, scratch_cache
from .common import Run, percentile, time_queries

BUDGET_P99_MS = 15.0


def synthetic(base: Catalogue, size: int, seed: int = 7) -> Catalogue:
    rng = random.Random(seed)
    words = sorted({w for s in base.sentences for w in s.text.split()})
    sentences = list(base.sentences)
    n_intents = max(1, (size - len(sentences)) // 200)
    while len(sentences) < size:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 10)))
        sentences.append(Sentence(text, f"synthetic_{rng.randrange(n_intents)}"))
    return replace(base, sentences=tuple(sentences[:size]))


def scored(matcher, rows: list[dict]) -> tuple[float, list[float]]:
    """Top-1 (intent and slots, as scripts/evaluate.py counts it) and the ms each match took."""
    right, times = 0, []
    for r in rows:
        t = time.perf_counter()
        m = matcher.match(r["text"])
        times.append((time.perf_counter() - t) * 1000)
        right += m.intent == r["intent"] and all(m.slots.get(k) == v for k, v in r["slots"].items())
    return right / max(1, len(rows)), times


def section(run: Run) -> list[str]:
    app, quick = run.app, run.quick
    dev, blind = dev_rows("test"), dev_rows("test", BLIND)
    oos = [r["text"] for r in run.oos]
    oos_difflib = oos[::8] if quick else oos[::2]
    shipped_name = "rapidfuzz + MiniLM + safety net (shipped)"

    matchers: list[tuple[str, object]] = [("difflib SequenceMatcher (best ratio >= 0.62)", DifflibMatcher(app.catalogue)),
                                          ("rapidfuzz alone", Matcher(app.catalogue, WORDLLAMA_SETTINGS))]
    missing = {}
    try:
        with scratch_cache():
            matchers.append(("rapidfuzz + WordLlama-256 (shipped before)",
                             Matcher(app.catalogue, WORDLLAMA_SETTINGS, WordLlamaEmbedder())))
    except ImportError as exc:
        missing["rapidfuzz + WordLlama-256 (shipped before)"] = f"not measured: {exc.name} is missing (pip install -e \".[bench]\")"
    matchers.append((shipped_name, app.matcher))

    rows, shipped_p99 = [], None
    for name, matcher in matchers:
        run.progress(f"matching: {name}")
        matcher.match("warm up")
        dev_acc, dev_t = scored(matcher, dev)
        blind_acc, blind_t = scored(matcher, blind)
        times = dev_t + blind_t
        if not quick and not isinstance(matcher, DifflibMatcher):
            times += time_queries(matcher.match, [r["text"] for r in dev + blind], repeat=2)
        if matcher is app.matcher:
            intents, shipped_p99 = run.oos_intents, percentile(times, 99)
        else:
            intents = [matcher.match(q).intent for q in (oos_difflib if isinstance(matcher, DifflibMatcher) else oos)]
        fa = sum(i is not None for i in intents)
        rows.append(f"| {name} | {statistics.median(times):.2f} | {percentile(times, 99):.2f} | {dev_acc:.1%} | "
                    f"{blind_acc:.1%} | {fa / len(intents):.2%} ({fa} of {len(intents):,}) |")
    rows += [f"| {name} | {why} | | | | |" for name, why in missing.items()]

    try:  # a diagnostic: the same matcher with numpy's BLAS held to one thread
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            app.matcher.match("warm up")
            one = time_queries(app.matcher.match, [r["text"] for r in dev + blind])
        rows.append(f"| the shipped matcher with numpy's BLAS held to one thread (threadpoolctl; a "
                    f"diagnostic, not how it ships) | {statistics.median(one):.2f} | {percentile(one, 99):.2f} | "
                    "same | same | same |")
    except ImportError:
        pass

    rows_scale = []
    encoder, vectors = app.matcher._embedder, app.matcher._vectors
    queries = [r["text"] for r in dev_rows("all")]
    for size in (1_000, 10_000, 100_000):
        run.progress(f"matching: synthetic catalogue of {size:,} sentences")
        cat = synthetic(app.catalogue, size)
        t = time.perf_counter()
        fuzzy = Matcher(cat, app.matcher.settings)
        fuzzy_build = time.perf_counter() - t
        with scratch_cache():
            full = Matcher(cat, app.matcher.settings, TiledEncoder(encoder, vectors), app.matcher.safety_net)
        sample = queries[:: 2 if size <= 10_000 else (8 if quick else 4)]
        fuzzy.match("warm up")
        full.match("warm up")
        f_times = time_queries(fuzzy.match, sample)
        times = time_queries(full.match, sample)
        rows_scale.append(f"| {size:,} | {fuzzy_build:.2f} | {len(sample)} | {statistics.median(f_times):.2f} | "
                          f"{percentile(f_times, 99):.2f} | {statistics.median(times):.2f} | {percentile(times, 99):.2f} |")
        del fuzzy, full

    n_sent = len(app.catalogue.sentences)
    verdict = "met" if shipped_p99 is not None and shipped_p99 < BUDGET_P99_MS else "**not met**"
    return [
        "## Intent matching",
        "",
        f"Shipped intents: {len(app.catalogue.intents)} intents, {n_sent:,} expanded sentences; "
        f"loading intents, content and cached embeddings took {run.load_s:.2f} s.",
        "",
        f"Every matcher below searches the same {n_sent:,} sentences and answers the same queries: the held-out "
        f"halves of the dev set (tests/data/dev.tsv `test`, {len(dev)}) and of the blind set (tests/data/blind.tsv "
        f"`test`, {len(blind)}), timed while they are scored ({'once each' if quick else 'three times each, difflib once'}); "
        "top-1 counts intent and slots, and a query with no intent is right when the matcher answers nothing. "
        f"CLINC150 out-of-scope: {len(oos):,} queries ({run.oos_label}; the safety net trains on the even rows); "
        f"difflib, at ~100 ms a query, answers every {'8th' if quick else '2nd'} of them ({len(oos_difflib):,}). "
        "rapidfuzz alone and rapidfuzz + WordLlama use the settings WordLlama shipped with (threshold 66, margin 4, "
        "fuzzy weight 0.5); the shipped matcher its own (threshold 62, margin 0, fuzzy weight 0.4) and the safety phrases "
        "and net (rapidfuzz alone and + WordLlama have the phrases, no net; difflib neither).",
        "",
        "| matcher | p50 ms | p99 ms | top-1 dev held out | top-1 blind held out | CLINC150 false accepts |",
        "|---|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Budget: match p99 under {BUDGET_P99_MS:.0f} ms with the shipped intents: "
        f"{'-' if shipped_p99 is None else f'{shipped_p99:.1f}'} ms, {verdict}. Time is one query's normalising, "
        "encoding (MiniLM int8 on one onnxruntime thread), fuzzy scores against every sentence, the cosine product, "
        "the safety net and the verdict, on a machine other work may share (see the load above).",
        "",
        "How cost grows: synthetic sentences (3-10 random words of the shipped vocabulary) added to the shipped ones. "
        "The fuzzy part is measured as it is. For the semantic part the synthetic sentences are not embedded (100,000 "
        "take ~2.5 min): they get the shipped sentences' embeddings tiled, so every query still pays its real "
        "encoding and the real N x 384 product; build s is the fuzzy indexes only.",
        "",
        "| sentences | build s | queries | rapidfuzz alone p50 ms | p99 ms | shipped matcher p50 ms | p99 ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *rows_scale,
        "",
    ]
