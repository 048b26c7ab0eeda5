"""BENCHMARKS-latency.png next to BENCHMARKS.md: the voice loop's stages (median) and the
end-to-end spread, from what the voice section left in run.shared["voice"]; the image line."""

from __future__ import annotations

import statistics

from .common import Run, machine


def section(run: Run) -> list[str]:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["(No latency plot: matplotlib is missing; `make bench` installs it.)", ""]
    voice = run.shared.get("voice", {})
    stages, totals = voice.get("stages", {}), voice.get("totals", [])
    if not stages or not totals:
        return ["(No latency plot: the voice-loop section produced no turns.)", ""]
    path = run.out.with_name(run.out.stem + "-latency.png")
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8, 4.5), gridspec_kw={"height_ratios": [1, 1.3]})
    left = 0.0
    for label, values in stages.items():
        width = statistics.median(values)
        top.barh([0], [width], left=left, label=f"{label} ({width:.0f} ms)")
        left += width
    top.set_yticks([])
    top.set_xlabel("ms after the end of speech (median per stage)")
    top.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.45), ncol=2, frameon=False)
    top.set_title("Voice loop: end of speech to first audio", fontsize=10)
    bottom.boxplot(totals, vert=False, widths=0.5)
    bottom.set_yticks([1], ["measured on\nthe speaker"])
    bottom.set_xlabel(f"ms, end of speech to first sound recorded ({len(totals)} turns)")
    fig.text(0.01, 0.01, f"{machine()}; {run.command}", fontsize=6)
    fig.tight_layout(rect=(0, 0.03, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [f"![Voice loop latency by stage]({path.name})", ""]
