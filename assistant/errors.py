"""One small error hierarchy. Every message says what is wrong, where, and the fix."""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: a problem the user can fix. The CLI prints it on one line and exits 2."""

    exit_code = 2


class DataFileError(AssistantError):
    """A YAML file under intents/ or content/ is missing, malformed, or breaks the schema."""

    def __init__(self, path: str, line: int | None, problem: str) -> None:
        self.path = str(path)
        self.line = line
        self.problem = problem
        where = f"{self.path}:{line}" if line else self.path
        super().__init__(f"{where}: {problem}")


class IntentFileError(DataFileError):
    """An intents/*.yaml file is invalid (bad template, unknown key, unknown list...)."""


class ContentFileError(DataFileError):
    """A content/*.yaml file is invalid."""


class InputError(AssistantError):
    """What the user passed on the command line or stdin cannot be used."""


class ConfigError(DataFileError):
    """The config file (~/.config/assistant/config.yaml or --config) is invalid."""


class EncoderError(AssistantError):
    """The sentence encoder (model file, tokenizer, onnxruntime) cannot be loaded."""


class WakeWordError(InputError):
    """A --wake-word that cannot be used: an unknown model, a word PocketSphinx cannot say, a bad
    sensitivity. The voice loop prints it on one line and runs on without a wake word."""


class RecognizerError(AssistantError):
    """An engine or model could not be loaded or failed while decoding."""


class ModelError(RecognizerError):
    """No usable Vosk model: a given folder is not a model, or a download failed.

    `reason` is the cause in a few words ("cannot reach alphacephei.com: timed out"), for the
    one line setup prints; the message itself also says what to do."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class EchoError(AssistantError):
    """An echo canceller that cannot start."""


class SpeechUnavailable(AssistantError):
    """No text-to-speech engine could be started or it failed twice in a row."""


class VoiceFileError(InputError):
    """--voice names something that is not a usable Piper voice (.onnx with its .onnx.json)."""


class AudioUnavailable(AssistantError):
    """No usable output device (or input device)."""


class VoiceDownloadError(AssistantError):
    """A Piper voice could not be listed or downloaded."""


class TurnModelError(AssistantError):
    """The end-of-turn model cannot load (missing, damaged, onnxruntime): text alone then decides."""


class ServiceError(AssistantError):
    """The login service (a systemd user unit) could not be installed, started or removed."""
