"""Memory that goes back to the system: glibc's malloc tuned for a process that runs all evening.

glibc serves a large block (a line of speech, a decoder's buffers) from its own mmap and returns it
when freed, but each such free raises its threshold (up to 32 MB), so later large blocks come from
the heap instead, where freed memory stays with the process. A couple of hundred replies of every
length took a Piper voice's process from 290 MB to 690 MB; with the threshold fixed at 64 kB
(which also stops it moving) and the heap trimmed above 128 kB free, it stayed at 240 MB.
Elsewhere than glibc (macOS, musl) this does nothing."""

from __future__ import annotations

import ctypes
import ctypes.util

M_TRIM_THRESHOLD = -1  # glibc's mallopt parameters (malloc.h)
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 64 * 1024  # bytes: blocks this large or more get their own mapping, returned when freed
TRIM_THRESHOLD = 128 * 1024  # bytes free at the top of the heap before it is given back


def return_freed_memory() -> bool:
    """Tune malloc (see above); True when glibc took the settings."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
