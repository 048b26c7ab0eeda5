"""Fault injection: put this folder first on PYTHONPATH and pyttsx3 cannot be imported, as on a
machine where it was never installed."""

raise ImportError("pyttsx3 is not installed (fault injected by tests/fakes/no_pyttsx3)")
