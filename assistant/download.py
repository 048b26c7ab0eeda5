"""What the explicit downloads share (`assistant model download`, `assistant voice download`):
telling a network failure from other failures, and its cause in a few words. The downloads
themselves are hearing/model_download.py and speaking/voice_download.py; nothing else in the
assistant opens a connection."""

from __future__ import annotations

import http.client
import socket
from urllib.error import URLError


def reason(exc: BaseException) -> str:
    """The root cause of a network error in a few words ("Connection refused", "timed out")."""
    seen, todo = set(), [exc]
    while todo:
        e = todo.pop(0)
        if id(e) in seen:
            continue
        seen.add(id(e))
        if isinstance(e, TimeoutError):
            return "timed out"
        if isinstance(e, OSError) and e.strerror and not isinstance(e, URLError):
            return e.strerror
        nxt = [e.__cause__, e.__context__, getattr(e, "reason", None), *getattr(e, "args", ())]
        todo.extend(x for x in nxt if isinstance(x, BaseException))
    text = str(getattr(exc, "reason", None) or exc) or type(exc).__name__
    return " ".join(text.split())


def network_error(exc: BaseException) -> bool:
    import requests

    return isinstance(exc, (URLError, requests.RequestException, ConnectionError, TimeoutError,
                            http.client.HTTPException, socket.gaierror, socket.herror))
