"""The customer notice on disk and in a bucket: atomic, written only on change, kept current
by the sampler, and written once by `python -m monitors notice`."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta
from pathlib import Path

import pyarrow.fs as pafs
import pytest
import tomli_w
from conftest import ROOT
from support_notice import OUTAGE_CONFIG, OUTAGE_PATTERNS, settings_of
from support_sampler import Target, http_platform, wait_for
from support_samples import combine, rounds, write_history
from test_history_s3 import BUCKET, s3  # noqa: F401 (the moto server fixture)

from monitors.alerts.notice import NoticeHook, notice_store, publish, published_fingerprint
from monitors.cli.main import main
from monitors.history.store import open_store
from monitors.output.notice import build_notice
from monitors.sampling.sampler import Sampler
from monitors.timeutil import utcnow

NAMES = ("notice.html", "notice.json", "notice.svg")
ENDINGS = {"notice.html": "</html>\n", "notice.json": "}\n", "notice.svg": "</svg>\n"}


def _notices():
    settings = settings_of(OUTAGE_CONFIG)
    down = build_notice({"insta": "affected", "wa": "slow"}, settings.platforms,
                        settings.config.notice)
    clear = build_notice({}, settings.platforms, settings.config.notice)
    return down, clear


def _naive_publish(folder: Path, notice) -> None:
    """A writer that is NOT atomic (the control: the reader below must catch it)."""
    from monitors.output.notice_render import render_all

    for name, text in render_all(notice).items():
        with open(folder / name, "w", encoding="utf-8") as out:
            out.write(text[: len(text) // 2])
            out.flush()
            time.sleep(0.002)
            out.write(text[len(text) // 2:])


def _torn_reads(folder: Path, write_all) -> tuple[int, int]:
    """Read the files in a loop while `write_all()` rewrites them; (reads, torn reads)."""
    stop, counts = threading.Event(), [0, 0]

    def reader() -> None:
        while not stop.is_set():
            for name in NAMES:
                try:
                    text = (folder / name).read_text(encoding="utf-8")
                except FileNotFoundError:
                    continue
                counts[0] += 1
                torn = not text.endswith(ENDINGS[name])
                if name == "notice.json" and not torn:
                    try:
                        json.loads(text)
                    except ValueError:
                        torn = True
                counts[1] += torn

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    try:
        write_all()
    finally:
        stop.set()
        thread.join(5)
    return counts[0], counts[1]


@pytest.mark.parametrize("writer", ["store", "naive"])
def test_a_reader_never_sees_half_a_file(tmp_path, writer):
    down, clear = _notices()
    folder = tmp_path / "site"
    folder.mkdir()
    store = open_store(str(folder))

    def write_all() -> None:
        for i in range(80):
            notice = down if i % 2 else clear
            if writer == "store":
                assert publish(store, notice)
            else:
                _naive_publish(folder, notice)

    reads, torn = _torn_reads(folder, write_all)
    assert reads > 100
    if writer == "store":
        assert torn == 0
        assert sorted(p.name for p in folder.iterdir()) == list(NAMES)  # no temp file left
    else:
        assert torn > 0  # the check above can fail: a plain open-and-write is caught


def test_it_writes_only_when_what_the_notice_says_changes(tmp_path):
    down, clear = _notices()
    store = open_store(str(tmp_path / "site"))
    first = publish(store, down)
    mtimes = {n: (tmp_path / "site" / n).stat().st_mtime_ns for n in NAMES}
    later = build_notice({"insta": "affected", "wa": "slow"}, settings_of(OUTAGE_CONFIG).platforms,
                         settings_of(OUTAGE_CONFIG).config.notice, updated=utcnow())
    assert publish(store, later, previous=first) is None  # only the time differs
    assert {n: (tmp_path / "site" / n).stat().st_mtime_ns for n in NAMES} == mtimes
    assert published_fingerprint(store) == first  # what a restarted sampler starts from
    assert publish(store, clear, previous=first) not in (None, first)
    assert json.loads((tmp_path / "site" / "notice.json").read_text())["state"] == "working"


# ------------------------------------------------------------------ beside the sampler
def _sampler_config(tmp_path: Path, target: Target, site: Path) -> Path:
    config = {
        "monitor": {"interval": "0.5s", "timeout": "0.4s", "vantage": "test", "confirm": 2,
                    "recover": 2, "default_platforms": False, "data": str(tmp_path / "data"),
                    "controls": [f"tcp://127.0.0.1:{target.port}"], "flush_every": "0.5s"},
        "business": {"timezone": "Europe/London", "name": "Northwind Bakery"},
        "notice": {"to": str(site), "contacts": [
            {"label": "email", "value": "hello@northwind.example",
             "href": "mailto:hello@northwind.example"}]},
        "platforms": [http_platform("alpha", "Alpha", {"web": target.url("/alpha")}),
                      http_platform("beta", "Beta", {"web": target.url("/beta")})],
    }
    path = tmp_path / "pulse.toml"
    path.write_text(tomli_w.dumps(config))
    return path


def _state(site: Path) -> str | None:
    try:
        return json.loads((site / "notice.json").read_text())["state"]
    except (FileNotFoundError, ValueError):
        return None


def test_the_sampler_keeps_the_notice_current_and_writes_it_on_changes_only(tmp_path, target):
    from monitors.config import load_settings

    site = tmp_path / "site"
    settings = load_settings(str(_sampler_config(tmp_path, target, site)))
    sampler = Sampler(settings).start()
    try:
        hook = NoticeHook(sampler, settings)
        sampler.add_hook(hook)
        assert wait_for(lambda: _state(site) == "working", 15)
        rounds_before = sampler.state()["rounds"]
        assert wait_for(lambda: sampler.state()["rounds"] >= rounds_before + 3, 15)
        assert hook.writes == 1  # several all-clear rounds, one write
        target.codes["/alpha"] = 503
        assert wait_for(lambda: _state(site) == "affected", 15)
        document = json.loads((site / "notice.json").read_text())
        assert [i["name"] for i in document["items"]] == ["Alpha"]
        assert "503" not in (site / "notice.html").read_text()
        target.codes["/alpha"] = 200
        assert wait_for(lambda: _state(site) == "working", 15)
        # the file is renamed into place a moment before the hook counts the write
        assert wait_for(lambda: hook.writes >= 3, 5)
        assert hook.writes == 3
    finally:
        sampler.stop()


def test_an_all_up_sampler_with_a_notice_never_loads_pandas(tmp_path, target):
    config = _sampler_config(tmp_path, target, tmp_path / "site")
    code = textwrap.dedent(f"""
        import json, sys, time
        from monitors.config import load_settings
        from monitors.alerts import notice
        from monitors.sampling.sampler import Sampler
        settings = load_settings({str(config)!r})
        sampler = Sampler(settings).start()
        hook = notice.attach(sampler, settings)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and sampler.state()["rounds"] < 4:
            time.sleep(0.1)
        sampler.stop()
        print(json.dumps({{"rounds": sampler.state()["rounds"], "writes": hook.writes,
                          "pandas": "pandas" in sys.modules}}))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["rounds"] >= 4 and seen["writes"] == 1 and seen["pandas"] is False
    assert (tmp_path / "site" / "notice.json").exists()


# ------------------------------------------------------------------ the command
def _history_now(data: Path) -> None:
    start = utcnow().replace(microsecond=0) - timedelta(minutes=6)
    write_history(str(data), combine(*(rounds(p, platform=pid, start=start)
                                       for pid, p in OUTAGE_PATTERNS.items())))


def test_the_notice_command_writes_the_three_files(tmp_path, capsys):
    data, site = tmp_path / "data", tmp_path / "site"
    _history_now(data)
    config = tmp_path / "pulse.toml"
    config.write_text(OUTAGE_CONFIG)
    code = main(["notice", "--config", str(config), "--data", str(data), "-o", str(site)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.startswith("affected: Our Instagram messages are affected right now.")
    assert sorted(p.name for p in site.iterdir()) == list(NAMES)
    assert json.loads((site / "notice.json").read_text())["state"] == "affected"


@pytest.mark.parametrize(("extra", "message"), [
    ([], "error: notice.to: no place to write the notice"),
    (["-o", "ftp://host/x"], "error: -o: 'ftp://host/x': use a folder or an s3://"),
])
def test_the_notice_command_without_a_place_to_write_exits_2_with_one_line(
        tmp_path, capsys, extra, message):
    data = tmp_path / "data"
    _history_now(data)
    config = tmp_path / "pulse.toml"
    config.write_text(OUTAGE_CONFIG)
    code = main(["notice", "--config", str(config), "--data", str(data), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith(message) and err.count("\n") == 1, err


def test_the_notice_command_on_a_folder_without_history_exits_1(tmp_path, capsys):
    config = tmp_path / "pulse.toml"
    config.write_text(OUTAGE_CONFIG)
    (tmp_path / "empty").mkdir()
    code = main(["notice", "--config", str(config), "--data", str(tmp_path / "empty"),
                 "-o", str(tmp_path / "site")])
    assert code == 1 and not (tmp_path / "site").exists()


# ------------------------------------------------------------------ S3
def test_the_notice_goes_to_an_s3_prefix_in_single_puts_with_content_types(s3, tmp_path):  # noqa: F811
    import boto3

    endpoint, fs = s3
    prefix = f"s3://{BUCKET}/site-notice"
    text = OUTAGE_CONFIG.replace('[notice]\n', f'[notice]\nto = "{prefix}"\n'
                                 f'storage_endpoint = "{endpoint}"\n', 1)
    settings = settings_of(text)
    down, clear = _notices()
    store = notice_store(settings)
    first = publish(store, down)
    assert first and publish(store, down, previous=first) is None
    listed = fs.get_file_info(pafs.FileSelector(f"{BUCKET}/site-notice", recursive=True))
    assert sorted(i.base_name for i in listed) == list(NAMES)
    assert json.loads(store.read_bytes("notice.json"))["state"] == "affected"
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    heads = {n: client.head_object(Bucket=BUCKET, Key=f"site-notice/{n}") for n in NAMES}
    types = {n: head["ContentType"] for n, head in heads.items()}
    assert {head.get("CacheControl") for head in heads.values()} == {"max-age=60"}
    assert types == {"notice.html": "text/html; charset=utf-8",
                     "notice.json": "application/json", "notice.svg": "image/svg+xml"}
    assert publish(store, clear, previous=first)
    assert json.loads(store.read_bytes("notice.json"))["state"] == "working"
    assert published_fingerprint(open_store(prefix, endpoint)) == published_fingerprint(store)


def test_a_typo_in_notice_platforms_is_a_warning(tmp_path, capsys):
    data, site = tmp_path / "data", tmp_path / "site"
    _history_now(data)
    config = tmp_path / "pulse.toml"
    config.write_text(OUTAGE_CONFIG.replace("[notice]\n", '[notice]\nplatforms = ["instagarm"]\n'))
    code = main(["notice", "--config", str(config), "--data", str(data), "-o", str(site)])
    captured = capsys.readouterr()
    assert code == 0 and "notice.platforms: no platform has the id 'instagarm'" in captured.err
    assert captured.out.startswith("working: All our channels are working normally.")
