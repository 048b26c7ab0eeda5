"""Text normalisation shared by templates and what people say.

Both sides go through the same function, so "I'm", "im" and "I am" meet, and "step 3",
"step three" and "the 3rd step" carry the same words a recogniser would print.
"""

from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 400  # characters kept for matching; a spoken turn is far shorter

_ONES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
         "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
         "eighteen", "nineteen"]
_TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_ORDINAL_WORDS = {"one": "first", "two": "second", "three": "third", "five": "fifth",
                  "eight": "eighth", "nine": "ninth", "twelve": "twelfth"}

# Contractions, with and without the apostrophe (recognisers print "dont", "im", "cant").
_CONTRACTIONS = {
    "can't": "can not", "cant": "can not", "cannot": "can not", "won't": "will not",
    "wont": "will not", "shan't": "shall not", "i'm": "i am", "im": "i am", "let's": "let us",
    "lets": "let us", "it's": "it is", "its": "it is", "that's": "that is", "thats": "that is",
    "what's": "what is", "whats": "what is", "where's": "where is", "wheres": "where is",
    "there's": "there is", "theres": "there is", "he's": "he is", "hes": "he is",
    "she's": "she is", "shes": "she is", "who's": "who is", "whos": "who is",
    "how's": "how is", "hows": "how is", "i've": "i have", "ive": "i have", "i'd": "i would",
    "i'll": "i will", "you're": "you are", "youre": "you are", "you've": "you have",
    "youve": "you have", "you'll": "you will", "youll": "you will", "you'd": "you would",
    "we're": "we are", "we've": "we have", "weve": "we have", "we'll": "we will",
    "we'd": "we would", "they're": "they are", "theyre": "they are", "they've": "they have",
    "theyve": "they have", "gonna": "going to", "wanna": "want to", "gotta": "got to",
    "dunno": "do not know", "y'all": "you all", "ok": "okay", "o.k.": "okay", "alright": "all right",
}
_NT = re.compile(r"\b(\w+?)n'?t\b")
_NT_WORDS = {"do", "does", "did", "is", "are", "was", "were", "have", "has", "had", "could",
             "should", "would", "must", "need"}
_FILLERS = {"um", "umm", "uh", "uhh", "uhm", "erm", "er"}
_AFFIRM = re.compile(r"\buh[ -]?huh\b|\bmm+[ -]?hmm+\b|\bmhm+\b")  # yes-sounds that hold fillers
_TOKEN = re.compile(r"(?:[^\W\d_]|')+|\d+(?:st|nd|rd|th)?")


def number_words(n: int) -> str:
    """Cardinal words for 0..999 (larger numbers are read digit by digit)."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return _TENS[tens] + ("" if ones == 0 else " " + _ONES[ones])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return _ONES[hundreds] + " hundred" + ("" if rest == 0 else " " + number_words(rest))
    return " ".join(_ONES[int(d)] for d in str(n))


def ordinal_words(n: int) -> str:
    words = number_words(n).split()
    last = words[-1]
    if last in _ORDINAL_WORDS:
        words[-1] = _ORDINAL_WORDS[last]
    elif last.endswith("y"):
        words[-1] = last[:-1] + "ieth"
    else:
        words[-1] = last + "th"
    return " ".join(words)


def _digits(token: str) -> str:
    if token[-2:] in ("st", "nd", "rd", "th"):
        return ordinal_words(int(token[:-2]))
    return number_words(int(token))


def _word(token: str) -> str:
    """One token as words ("" for a filler): contractions expanded, apostrophes dropped."""
    token = token.strip("'")
    if token in _CONTRACTIONS:
        return _CONTRACTIONS[token]
    match = _NT.fullmatch(token)
    if match and match.group(1) in _NT_WORDS:
        return match.group(1) + " not"
    if "'" in token:  # "john's" -> "john"; "do'nt" -> "dont" -> "do not", as a second pass would read it
        return _word(token.split("'")[0] if token.endswith(("'s", "'d", "'ll", "'re", "'ve")) else token.replace("'", ""))
    return "" if token in _FILLERS else token


def _affirm(text: str) -> str:
    return _AFFIRM.sub(lambda m: "uhhuh" if m.group(0).startswith("u") else "mmhmm", text)


def normalize(text: str) -> str:
    """Lowercase words only: no punctuation, contractions expanded, numbers as words.

    Idempotent: normalize(normalize(x)) == normalize(x)."""
    text = unicodedata.normalize("NFKC", text)[: MAX_CHARS * 2].lower()
    text = _affirm(text.replace("\u2019", "'").replace("\u2018", "'").replace("`", "'"))
    # \d is a decimal digit (isdecimal), not any digit: "⓵" is a digit int() cannot read
    words = [_digits(t) if t[0].isdecimal() else _word(t) for t in _TOKEN.findall(text)]
    out = " ".join(w for w in words if w)
    if len(out) > MAX_CHARS:  # cut between words: half a word may read as another ("um" of "umbrella")
        head = out[: MAX_CHARS + 1]
        out = head.rsplit(" ", 1)[0] if " " in head else out[:MAX_CHARS]
    return _affirm(out)  # "mm, hmm" leaves "mm hmm", which reads as "mmhmm"


_NUMBER_VALUES = {number_words(n): n for n in range(1, 100)}
_ORDINALS = frozenset(ordinal_words(n) for n in range(1, 100))
_NUMBER_VALUES.update({ordinal_words(n): n for n in range(1, 100)})


def numbers_in(normalized: str) -> list[int]:
    """Numbers said in a normalised utterance, cardinal or ordinal ("twenty one", "third")."""
    words = normalized.split()
    found: list[int] = []
    i = 0
    while i < len(words):
        two = " ".join(words[i:i + 2])
        if two in _NUMBER_VALUES and i + 1 < len(words):
            found.append(_NUMBER_VALUES[two])
            i += 2
        elif words[i] == "one" and i and words[i - 1] in _ORDINALS:
            i += 1  # "the fifth one" is five, not five and one
        elif words[i] in _NUMBER_VALUES:
            found.append(_NUMBER_VALUES[words[i]])
            i += 1
        else:
            i += 1
    return found
