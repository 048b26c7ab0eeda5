"""Understanding: top-1 accuracy on the frozen dev set (tune half and held-out half), and false
accepts on CLINC150 out-of-scope."""

from __future__ import annotations

from evaluate import dev_rows, top1

from .common import Run


def section(run: Run) -> list[str]:
    run.progress("accuracy: dev set halves and CLINC150 out-of-scope")
    tune, test = dev_rows("tune"), dev_rows("test")
    tune_acc, _ = top1(run.app.matcher, tune)
    test_acc, _ = top1(run.app.matcher, test)
    fa = [i for i in run.oos_intents if i is not None]
    fa_rate = len(fa) / max(1, len(run.oos_intents))
    return [
        "## Understanding (frozen dev set, tests/data/dev.tsv)",
        "",
        "The dev set was written blind from intents.md by someone who had not seen intents/, then frozen. "
        "The intents were tuned on the `tune` half only; the `test` half is held out.",
        "",
        "| set | utterances | top-1 (intent and slots) |",
        "|---|---:|---:|",
        f"| dev, tune half | {len(tune)} | {tune_acc:.1%} |",
        f"| dev, held-out half | {len(test)} | {test_acc:.1%} |",
        "",
        "| out of scope | queries | false accepts |",
        "|---|---:|---:|",
        f"| CLINC150 out-of-scope + 8 everyday domains ({run.oos_label}) | "
        f"{len(run.oos):,} | {fa_rate:.2%} ({len(fa)}) |",
        "",
    ]
