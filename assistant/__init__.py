"""An offline voice coach for couples in a tense moment."""

__version__ = "0.1.0"
