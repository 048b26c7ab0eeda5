"""What the server says it is, in answer to Describe: a `handle` program (the coach, English) and a
`tts` program (the Piper voices, streaming text in). Home Assistant's Wyoming integration makes a
conversation agent of the first and a voice of the second."""

from __future__ import annotations

from wyoming.info import Attribution, HandleModel, HandleProgram, Info, TtsProgram, TtsVoice

from assistant import __version__
from assistant.speaking.piper_voices import VoiceFiles

HANDLE_NAME = "coach"  # the conversation agent's name in Home Assistant
TTS_NAME = "coach-voice"  # the voice's (text to speech) name in Home Assistant
LANGUAGES = ["en"]  # what the intents and content are written in
PIPER = Attribution(name="rhasspy", url="https://github.com/rhasspy/piper")
OURS = Attribution(name="assistant", url="")


def describe(voices: list[tuple[VoiceFiles, str]]) -> Info:
    """The Info event's value; `voices` are (voice files, language code), the default first."""
    coach = HandleProgram(
        name=HANDLE_NAME, attribution=OURS, installed=True, version=__version__,
        description="An offline voice coach for a tense moment: breathing breaks, apologies, time-outs and the "
                    "13 steps of a guide to saving a relationship. Nothing leaves this machine.",
        models=[HandleModel(name=HANDLE_NAME, attribution=OURS, installed=True, version=__version__,
                            description="intents/ and content/ of this install", languages=list(LANGUAGES))],
        supports_handled_streaming=False, supports_home_control=False)
    speech = TtsProgram(
        name=TTS_NAME, attribution=PIPER, installed=True, version=__version__,
        description="The coach's calm Piper voice; pause marks such as [pause 2] are spoken as silence",
        voices=[TtsVoice(name=files.name, description=files.name, attribution=PIPER, installed=True, version=None,
                         languages=[language]) for files, language in voices],
        supports_synthesize_streaming=True)
    return Info(handle=[coach], tts=[speech])
