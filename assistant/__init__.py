"""An offline voice coach for couples in a tense moment."""

import os

# One utterance's maths is small (a 384-wide vector against ~8.5k sentence embeddings): spread
# over BLAS threads it waits on a busy machine (p99 30 ms against 18 ms on one thread), and the
# other core is the audio's. Set before numpy is first imported; an explicit setting wins.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

__version__ = "0.1.0"
