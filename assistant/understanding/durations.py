"""Lengths of time as people say them, and as the assistant says them back.

`minutes_said` reads the duration in a normalised utterance, in minutes: "half an hour" 30,
"a quarter of an hour" 15, "an hour and a half" 90, "twenty five minutes" 25, "one hour twenty
minutes" 80, "three hundred minutes" 300, "minus five minutes" -5, "a year" 525600, and a number
with no unit is minutes ("time out thirty"). It returns what was said, in or out of range (the
dialogue answers an impossible length kindly), or None when no length was said.
"""

from __future__ import annotations

from assistant.understanding.normalize import normalize, number_words

_SMALL = {number_words(n): n for n in range(20)}
_TENS = {number_words(n): n for n in range(20, 100, 10)}
_VAGUE = {"couple": 2, "few": 5}  # "a couple of minutes", "a few minutes"
# minutes per unit, singular and plural as a recogniser prints them
UNITS = {"second": 1 / 60, "sec": 1 / 60, "minute": 1, "min": 1, "hour": 60, "hr": 60, "day": 1440,
         "week": 10080, "fortnight": 20160, "month": 43200, "year": 525600}
UNITS.update({u + "s": m for u, m in list(UNITS.items())})
_FRACTIONS = {"half": 0.5, "quarter": 0.25}
_ARTICLES = ("a", "an", "one")


def _cardinal(words: list[str], i: int) -> tuple[int, int] | None:
    """A whole number said from words[i] ("twenty five", "three hundred and ten", "a hundred"):
    (value, index after it), or None."""
    total, group, j, seen = 0, 0, i, False
    if j + 1 < len(words) and words[j] in ("a", "an") and words[j + 1] in ("hundred", "thousand"):
        group, j, seen = 1, j + 1, True
    while j < len(words):
        w = words[j]
        if w in _TENS and group % 100 == 0:
            group += _TENS[w]
        elif w in _SMALL and group % 10 == 0 and (_SMALL[w] < 10 or group % 100 == 0):
            group += _SMALL[w]
        elif w == "hundred" and 0 < group % 100 == group < 10:
            group *= 100
        elif w == "thousand" and group:
            total, group = total + group * 1000, 0
        elif w == "and" and seen and group >= 100 and j + 1 < len(words) and (
                words[j + 1] in _SMALL or words[j + 1] in _TENS):
            pass  # "three hundred and ten"
        else:
            break
        seen, j = True, j + 1
    return (total + group, j) if seen else None


def _unit(words: list[str], j: int) -> tuple[float, int] | None:
    """The unit at words[j], skipping "of" ("a couple of minutes"): (minutes per unit, index after)."""
    if j < len(words) and words[j] == "of":
        j += 1
    if j < len(words) and words[j] in UNITS:
        return UNITS[words[j]], j + 1
    return None


def _fraction_of_unit(words: list[str], i: int) -> tuple[float, int] | None:
    """ "half an hour", "a half hour", "a quarter of an hour", "three quarters of an hour"."""
    j, times = i, 1.0
    if j < len(words) and words[j] in _ARTICLES:
        j += 1
    elif j + 1 < len(words) and words[j] == "three" and words[j + 1] == "quarters":
        j, times = j + 1, 3.0
    word = words[j].rstrip("s") if j < len(words) else ""
    if word not in _FRACTIONS:
        return None
    j += 1
    if j < len(words) and words[j] == "of":
        j += 1
    if j < len(words) and words[j] in ("a", "an"):
        j += 1
    unit = _unit(words, j)
    return (times * _FRACTIONS[word] * unit[0], unit[1]) if unit else None


def _and_a_fraction(words: list[str], j: int) -> tuple[float, int]:
    """ "and a half" / "and a quarter" at words[j]: (the fraction, index after), or (0, j)."""
    if words[j:j + 2] in (["and", "a"], ["and", "an"]) and j + 2 < len(words) and words[j + 2] in _FRACTIONS:
        return _FRACTIONS[words[j + 2]], j + 3
    return 0.0, j


def _term(words: list[str], i: int) -> tuple[float, int] | None:
    """One length of time said from words[i]: (minutes, index after it), or None."""
    sign, j = 1, i
    if words[j] in ("minus", "negative"):
        sign, j = -1, j + 1
    if j >= len(words):
        return None
    part = _fraction_of_unit(words, j)
    if part is not None:
        return sign * part[0], part[1]
    number = _cardinal(words, j)
    if number is not None:
        count, j = number
    elif words[j] in ("a", "an") or (words[j] in _VAGUE and j > i and words[j - 1] == "a"):
        count, j = _VAGUE.get(words[j], 1), j + 1
        if words[j - 1] == "a" and j < len(words) and words[j] in _VAGUE:  # "a few", "a couple"
            count, j = _VAGUE[words[j]], j + 1
    else:
        return None
    extra, j = _and_a_fraction(words, j)  # "one and a half hours"
    unit = _unit(words, j)
    if unit is None:
        return None
    per, j = unit
    after, j = _and_a_fraction(words, j)  # "an hour and a half"
    return sign * (count + extra + after) * per, j


def _whole(minutes: float) -> int | float:
    return int(round(minutes)) if abs(minutes - round(minutes)) < 1e-9 else minutes


def minutes_said(text: str) -> int | float | None:
    """The length of time said, in minutes (whole when it is whole); None when none was said.

    Lengths said one after another add up ("an hour and ten minutes"); of lengths said apart, the
    last counts ("twenty minutes, no, thirty minutes"). A lone number is minutes."""
    words = normalize(text).split()
    groups: list[list[float]] = []
    end = -1
    i = 0
    while i < len(words):
        term = _term(words, i)
        if term is None:
            i += 1
            continue
        joined = i == end or (i == end + 1 and words[end] == "and")
        if joined and groups:
            groups[-1].append(term[0])
        else:
            groups.append([term[0]])
        i = end = term[1]
    if groups:
        return _whole(sum(groups[-1]))
    numbers = []
    i = 0
    while i < len(words):
        sign = -1 if words[i] in ("minus", "negative") else 1
        number = _cardinal(words, i + (sign < 0))
        if number is None:
            i += 1
            continue
        numbers.append(sign * number[0])
        i = number[1]
    return numbers[0] if len(set(numbers)) == 1 else None


def duration_words(minutes: int) -> str:
    """A whole number of minutes as said: "one minute", "twenty minutes", "half an hour", "an hour
    and a half", "two hours", "an hour and ten minutes"."""
    hours, rest = divmod(minutes, 60)
    if minutes == 30:
        return "half an hour"
    if hours == 0:
        return "one minute" if minutes == 1 else f"{number_words(minutes)} minutes"
    said = "an hour" if hours == 1 else f"{number_words(hours)} hours"
    if rest == 0:
        return said
    if rest == 30:
        return f"{said} and a half"
    return f"{said} and {duration_words(rest)}"


def remaining_words(seconds: float) -> str:
    """Time left as said: "about twelve minutes", "about a minute", "less than a minute"."""
    if seconds < 45:
        return "less than a minute"
    minutes = max(1, round(seconds / 60))
    return "about a minute" if minutes == 1 else f"about {duration_words(minutes)}"
