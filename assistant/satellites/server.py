"""The Wyoming server: Describe -> Info, Transcript -> Handled / NotHandled, Synthesize -> audio.

One `Connection` per client connection (Home Assistant opens one per turn and one per reply to
speak). Turns are matched and answered on worker threads (sessions.py), audio is rendered on a
speech thread (tts.py), so the event loop stays free to answer Describe within Home Assistant's one
second however busy the rest is. Bad input ends only its own connection: an event line that is not
JSON closes it; an event too large, of an unknown type or missing its fields gets an Error event
(and a bad one also a close); more than `max_connections` at once are refused with an Error;
a connection silent for `connection_timeout` seconds is closed. Nothing said is logged (at -v:
intents and scores only) or written anywhere.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Callable

from wyoming.asr import Transcript
from wyoming.audio import AudioStart, AudioStop
from wyoming.error import Error
from wyoming.event import Event
from wyoming.handle import Handled, NotHandled
from wyoming.info import Describe, SelectProgram
from wyoming.ping import Ping, Pong
from wyoming.server import AsyncEventHandler, AsyncStdioServer
from wyoming.tts import Synthesize, SynthesizeChunk, SynthesizeStart, SynthesizeStop, SynthesizeStopped

from assistant.dialogue.content import strip_pauses
from assistant.dialogue.session import Dialogue
from assistant.errors import SpeechUnavailable
from assistant.satellites import discovery, tts
from assistant.satellites.info import describe
from assistant.satellites.sessions import Sessions
from assistant.satellites.settings import Address, ServeSettings, parse_uri
from assistant.satellites.wire import MAX_LINE, BadEvent, read_event

log = logging.getLogger(__name__)

MAX_TRANSCRIPT = 2_000  # characters of one Transcript (a spoken turn is a sentence or two)
SWEEP = 60.0  # seconds between looks for idle sessions


class Connection(AsyncEventHandler):
    def __init__(self, coach: "Coach", reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        super().__init__(reader, writer)
        self.coach = coach
        self.stream: tts.TextParts | None = None  # text streamed in (SynthesizeStart .. SynthesizeStop)
        self.voice: str | None = None
        self.started = None  # the renderer once this stream's AudioStart was sent

    async def run(self) -> None:
        coach = self.coach
        if coach.open >= coach.settings.max_connections:
            await self._error("busy", f"this server serves {coach.settings.max_connections} connections at once")
            self.writer.close()
            return
        coach.open += 1
        try:
            while True:
                try:
                    event = await asyncio.wait_for(read_event(self.reader), coach.settings.connection_timeout)
                except asyncio.TimeoutError:
                    break
                except BadEvent as exc:
                    await self._error(exc.code, str(exc))
                    break
                if event is None or not await self.handle_event(event):
                    break
        except OSError as exc:  # the client went away mid-reply
            log.info("a connection ended early (%s)", type(exc).__name__)
        except Exception as exc:  # noqa: BLE001 - a bug ends its own connection only (no traceback: it may quote text)
            log.error("a connection failed (%s); it was closed, the server carries on", type(exc).__name__)
        finally:
            coach.open -= 1
            self.writer.close()

    async def handle_event(self, event: Event) -> bool:
        try:
            if Describe.is_type(event.type):
                await self.write_event(self.coach.info)
            elif Transcript.is_type(event.type):
                return await self._transcript(Transcript.from_event(event))
            elif SynthesizeStart.is_type(event.type):
                start = SynthesizeStart.from_event(event)
                self.stream, self.voice, self.started = tts.TextParts(), start.voice and start.voice.name, None
            elif SynthesizeChunk.is_type(event.type):
                return await self._chunk(SynthesizeChunk.from_event(event).text)
            elif SynthesizeStop.is_type(event.type):
                return await self._stop_stream()
            elif Synthesize.is_type(event.type):
                if self.stream is None:  # in a stream it only repeats the text, for older servers
                    return await self._synthesize(Synthesize.from_event(event))
            elif Ping.is_type(event.type):
                await self.write_event(Pong(text=Ping.from_event(event).text).event())
            elif not SelectProgram.is_type(event.type):  # one handle and one tts program: nothing to select
                await self._error("unknown-event", f"this server does not take {event.type[:40]!r} events")
            return True
        except tts.TextTooLong as exc:
            await self._error("too-long", str(exc))
        except (KeyError, TypeError, ValueError, AttributeError):
            await self._error("bad-event", f"a {event.type[:40]!r} event without the fields it needs")
        except SpeechUnavailable:
            log.warning("the voice failed while speaking for a satellite")
            await self._error("tts-failed", "the voice failed; see the server's log")
        return False

    async def _error(self, code: str, text: str) -> None:
        log.info("error event to a client: %s", code)
        try:
            await self.write_event(Error(text=text, code=code).event())
        except (ConnectionError, OSError):
            pass

    # -- handle ---------------------------------------------------------------------------
    async def _transcript(self, said: Transcript) -> bool:
        if not isinstance(said.text, str):
            raise TypeError("text")
        if len(said.text) > MAX_TRANSCRIPT:
            await self._error("too-long", f"a transcript of {len(said.text):,} characters; at most "
                                          f"{MAX_TRANSCRIPT:,} are answered")
            return False
        coach = self.coach
        began = time.perf_counter()
        answer = await asyncio.get_running_loop().run_in_executor(coach.turns, coach.sessions.turn,
                                                                  said.context, said.text)
        text = strip_pauses(answer.reply.text) if coach.settings.plain_text else answer.reply.text
        kind = Handled if answer.handled else NotHandled
        await self.write_event(kind(text=text, context=said.context).event())
        m = answer.match
        log.info("turn: %s intent=%s score=%.0f stage=%s in %.1f ms", kind.__name__, m.intent, m.score, m.stage,
                 (time.perf_counter() - began) * 1000)
        return True

    # -- tts ------------------------------------------------------------------------------
    async def _synthesize(self, request: Synthesize) -> bool:
        if not isinstance(request.text, str):
            raise TypeError("text")
        parts = tts.parts_of(request.text)
        renderer = await self._begin(request.voice and request.voice.name)
        await self._say(parts, renderer)
        await self.write_event(AudioStop().event())
        return True

    async def _chunk(self, text: str) -> bool:
        if self.stream is None or not isinstance(text, str):
            raise ValueError("synthesize-chunk outside a stream")
        parts = self.stream.add(text)
        if parts:
            await self._say(parts, self.started or await self._begin(self.voice))
        return True

    async def _stop_stream(self) -> bool:
        if self.stream is None:
            raise ValueError("synthesize-stop outside a stream")
        parts, self.stream = self.stream.finish(), None
        renderer = self.started or await self._begin(self.voice)
        await self._say(parts, renderer)
        await self.write_event(AudioStop().event())
        await self.write_event(SynthesizeStopped().event())
        return True

    async def _begin(self, voice: str | None):
        coach = self.coach
        renderer = await asyncio.get_running_loop().run_in_executor(coach.speech, coach.voices.renderer, voice)
        await self.write_event(AudioStart(rate=renderer.sample_rate, width=tts.WIDTH, channels=1).event())
        self.started = renderer
        return renderer

    async def _say(self, parts, renderer) -> None:
        async for chunk in tts.audio(parts, renderer, self.coach.voices.settings.rate, self.coach.speech):
            if self.writer.is_closing():
                raise ConnectionResetError("closed")
            await self.write_event(chunk.event())


class Coach:
    """The server: its settings, the satellites' sessions, the voices, and the worker threads."""

    def __init__(self, settings: ServeSettings, make_dialogue: Callable[[], Dialogue], voices: tts.Voices) -> None:
        self.settings = settings
        self.sessions = Sessions(make_dialogue, settings.session_idle, settings.max_sessions)
        self.voices = voices
        self.info = describe([(f, tts.language_of(f)) for f in voices.files.values()]).event()
        self.turns = ThreadPoolExecutor(settings.turn_workers, thread_name_prefix="assistant-turn")
        self.speech = ThreadPoolExecutor(1, thread_name_prefix="assistant-tts")
        self.open = 0  # connections being served
        self.address: Address | None = None  # where it listens, once it does (a tcp port 0 made real)
        self._stop: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def serve(self, ready: Callable[[Address], None] | None = None) -> None:
        """Listen on settings.uri until stop(); `ready` is told where, once it listens."""
        address = parse_uri(self.settings.uri)
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        sweeper = asyncio.create_task(self._sweep())
        try:
            if address.scheme == "stdio":
                self.address = address
                if ready is not None:
                    ready(address)
                served = asyncio.create_task(AsyncStdioServer().run(lambda r, w: Connection(self, r, w)))
                stopped = asyncio.create_task(self._stop.wait())
                await asyncio.wait({served, stopped}, return_when=asyncio.FIRST_COMPLETED)
                return
            if address.scheme == "tcp":
                server = await asyncio.start_server(self._accept, address.host, address.port, limit=MAX_LINE)
                port = server.sockets[0].getsockname()[1]
                address = Address("tcp", address.host, port)
            else:
                _remove_socket(address.path)
                server = await asyncio.start_unix_server(self._accept, address.path, limit=MAX_LINE)
            self.address = address
            async with server:
                if self.settings.zeroconf:
                    await discovery.advertise(self.settings.zeroconf, address)
                if ready is not None:
                    ready(address)
                await self._stop.wait()
        finally:
            sweeper.cancel()
            if address.scheme == "unix":
                _remove_socket(address.path)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await Connection(self, reader, writer).run()

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(min(SWEEP, self.settings.session_idle))
            await asyncio.get_running_loop().run_in_executor(self.turns, self.sessions.expire)

    def stop(self) -> None:
        """End serve() (from any thread)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    def close(self) -> None:
        """Forget every session (their time-outs end) and stop the worker threads."""
        self.sessions.close()
        self.turns.shutdown(wait=False, cancel_futures=True)
        self.speech.shutdown(wait=False, cancel_futures=True)


def _remove_socket(path: str) -> None:
    """A stale socket from an earlier run is removed; any other file there is left alone."""
    try:
        if stat.S_ISSOCK(os.lstat(path).st_mode):
            os.unlink(path)
    except FileNotFoundError:
        pass
