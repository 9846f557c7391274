"""Config loading: durations, defaults, environment overrides, catalog merge, field docs."""

from __future__ import annotations

import importlib.util
import ipaddress
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

from monitors.config import (
    DEFAULT_CONTROLS,
    Config,
    Monitor,
    all_targets,
    default_platforms,
    load_settings,
    parse_config,
)
from monitors.probes import DnsCheck, HttpCheck

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TCP = {"id": "web", "kind": "tcp", "host": "127.0.0.1", "port": 9}


def _platform(pid: str, name: str | None = None, **extra) -> dict:
    return {"id": pid, "name": name or pid.title(), "checks": [dict(TCP)], **extra}


def _write(tmp_path: Path, text: str, name: str = "pulse.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def no_env(monkeypatch, tmp_path):
    """No MONITORS_* variables and a working folder without monitors.toml."""
    monkeypatch.delenv("MONITORS_CONFIG", raising=False)
    monkeypatch.delenv("MONITORS_DATA", raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30s", 30.0), ("5m", 300.0), ("1h", 3600.0), ("2d", 172800.0), ("500ms", 0.5),
     (45, 45.0), (1.5, 1.5), ("90", 90.0)],
)
def test_it_reads_durations_as_seconds(text, seconds):
    assert Monitor(interval=text).interval == seconds


def test_a_check_threshold_accepts_a_duration_too():
    check = HttpCheck(id="web", url="http://127.0.0.1/", degraded_after="250ms")
    assert check.degraded_after == 0.25


def test_an_empty_config_gets_the_documented_defaults():
    config = parse_config({})
    assert (config.monitor.interval, config.monitor.timeout) == (60.0, 10.0)
    assert (config.monitor.confirm, config.monitor.recover) == (2, 2)
    assert config.monitor.default_platforms is True
    assert config.monitor.controls == DEFAULT_CONTROLS
    assert (config.monitor.flush_every, config.monitor.compact_every) == (30.0, 3600.0)
    assert config.monitor.data == "data"
    assert re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", config.monitor.vantage)
    business = config.business
    assert (business.currency, business.timezone, business.off_hours_weight) == ("USD", "UTC", 0.3)
    assert config.platforms == [] and config.alerts == []


def test_without_any_config_it_uses_built_in_defaults_and_the_catalog(no_env):
    settings = load_settings()
    assert settings.source == "built-in defaults"
    assert settings.platforms == default_platforms()
    assert settings.data == "data"


def test_it_reads_monitors_toml_from_the_working_folder(no_env):
    _write(no_env, '[monitor]\nvantage = "cwd"\ndefault_platforms = false\n', "monitors.toml")
    settings = load_settings()
    assert (settings.source, settings.monitor.vantage) == ("monitors.toml", "cwd")


def test_monitors_config_in_the_environment_beats_monitors_toml(no_env, monkeypatch):
    _write(no_env, '[monitor]\nvantage = "cwd"\n', "monitors.toml")
    env_file = _write(no_env, '[monitor]\nvantage = "env"\ndefault_platforms = false\n')
    monkeypatch.setenv("MONITORS_CONFIG", str(env_file))
    assert load_settings().monitor.vantage == "env"


def test_an_explicit_config_beats_the_environment(no_env, monkeypatch):
    monkeypatch.setenv("MONITORS_CONFIG", str(_write(no_env, '[monitor]\nvantage = "env"\n')))
    flag = _write(no_env, '[monitor]\nvantage = "flag"\ndefault_platforms = false\n', "f.toml")
    settings = load_settings(str(flag))
    assert (settings.monitor.vantage, settings.source) == ("flag", str(flag))


def test_the_data_location_is_flag_then_environment_then_config(no_env, monkeypatch):
    path = str(_write(no_env, '[monitor]\ndata = "from-config"\ndefault_platforms = false\n'))
    assert load_settings(path).data == "from-config"
    monkeypatch.setenv("MONITORS_DATA", "from-env")
    assert load_settings(path).data == "from-env"
    assert load_settings(path, data="from-flag").data == "from-flag"
    monkeypatch.setenv("MONITORS_DATA", "s3://bucket/pulse")
    assert load_settings(path).data == "s3://bucket/pulse"


def test_the_test_suite_runs_on_the_loopback_config_by_default():
    settings = load_settings()
    assert settings.source.endswith("loopback.toml")
    assert settings.monitor.default_platforms is False


def test_a_user_platform_overrides_the_built_in_one_in_place():
    catalog = [p.id for p in default_platforms()]
    config = parse_config({"platforms": [_platform("instagram", "Our Instagram")]})
    settings_platforms = _merged(config)
    assert [p.id for p in settings_platforms] == catalog
    mine = settings_platforms[catalog.index("instagram")]
    assert mine.name == "Our Instagram"
    assert [c.id for c in mine.checks] == ["web"]  # replaced entirely, not merged check by check


def test_new_user_platforms_follow_the_catalog_in_file_order():
    config = parse_config({"platforms": [_platform("zeta"), _platform("facebook"),
                                         _platform("alpha")]})
    ids = [p.id for p in _merged(config)]
    assert ids[-2:] == ["zeta", "alpha"]
    assert ids.count("facebook") == 1
    assert len(ids) == len(default_platforms()) + 2


def test_default_platforms_false_drops_the_catalog_and_keeps_user_order():
    config = parse_config({"monitor": {"default_platforms": False},
                           "platforms": [_platform("zeta"), _platform("facebook"),
                                         _platform("alpha")]})
    assert [p.id for p in _merged(config)] == ["zeta", "facebook", "alpha"]


def _merged(config: Config):
    from monitors.config import merge_platforms

    return merge_platforms(config)


def test_settings_look_up_platforms_by_id(tmp_path):
    path = _write(tmp_path, _toml_platforms(["shop", "chat"]))
    settings = load_settings(str(path))
    assert settings.platform("chat").name == "Chat"
    assert settings.platform("nope") is None


def _toml_platforms(ids: list[str]) -> str:
    text = "[monitor]\ndefault_platforms = false\n"
    for pid in ids:
        text += (f'[[platforms]]\nid = "{pid}"\nname = "{pid.title()}"\n'
                 '  [[platforms.checks]]\n  id = "web"\n  kind = "tcp"\n'
                 '  host = "127.0.0.1"\n  port = 9\n')
    return text


def test_alert_urls_stay_secret_in_reprs():
    config = parse_config({"alerts": [{"url": "mailto://user:hunter2@127.0.0.1"}]})
    assert "hunter2" not in repr(config)
    assert config.alerts[0].url.get_secret_value().endswith("@127.0.0.1")


def test_a_config_is_frozen():
    config = parse_config({})
    with pytest.raises(ValueError):
        config.monitor.interval = 5  # type: ignore[misc]


# --- field documentation (datasette style: every field is described, docs are current) ----

def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> dict:
    """Every pydantic model reachable from `model` through its field annotations."""
    if model.__name__ in seen:
        return seen
    seen[model.__name__] = model
    for field in model.model_fields.values():
        for inner in _model_args(field.annotation):
            _models(inner, seen)
    return seen


def _model_args(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _model_args(arg)]


ALL_MODELS = _models(Config, {})


def test_the_walk_reaches_every_config_table_and_check_kind():
    assert {"Monitor", "Business", "Platform", "Impact", "Playbook", "Alert", "HttpCheck",
            "DnsCheck", "TcpCheck", "TlsCheck", "StatuspageCheck"} <= set(ALL_MODELS)


@pytest.mark.parametrize("name", sorted(ALL_MODELS))
def test_every_config_field_has_a_description(name):
    model = ALL_MODELS[name]
    missing = [f for f, info in model.model_fields.items() if not (info.description or "").strip()]
    assert not missing, f"{name} fields without description: {missing}"


def _gen_docs():
    spec = importlib.util.spec_from_file_location("gen_config_docs",
                                                  ROOT / "scripts" / "gen_config_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_configuration_reference_is_up_to_date():
    committed = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == _gen_docs().render(), "run: python scripts/gen_config_docs.py"


def test_the_configuration_reference_documents_every_model():
    documented = {model.__name__ for _, model, _ in _gen_docs().SECTIONS}
    assert set(ALL_MODELS) - {"Config"} <= documented


@pytest.mark.parametrize("name", sorted(set(ALL_MODELS) - {"Config"}))
def test_the_full_example_mentions_every_field(name):
    text = (EXAMPLES / "monitors.example.toml").read_text(encoding="utf-8")
    keys = set(re.findall(r"^\s*#?\s*([a-z_]+)\s*=", text, flags=re.MULTILINE))
    keys |= set(re.findall(r"^\s*\[\[?[a-z_]+\.([a-z_]+)\]\]?", text, flags=re.MULTILINE))
    missing = set(ALL_MODELS[name].model_fields) - keys
    assert not missing, f"examples/monitors.example.toml lacks {name} fields {missing}"


# --- the shipped examples -----------------------------------------------------------------

def test_the_full_example_loads_and_overrides_the_catalog():
    settings = load_settings(str(EXAMPLES / "monitors.example.toml"))
    instagram = settings.platform("instagram")
    assert {c.kind for c in instagram.checks} == {"http", "dns", "tls", "statuspage"}
    assert instagram.impact.revenue_per_hour == 40.0
    assert instagram.playbook.steps[0] == "Pause Instagram ads"
    assert settings.platforms[-1].id == "shop"
    assert settings.alerts[1].avoid == ["whatsapp"]


def _is_loopback(target: str) -> bool:
    host = re.sub(r"^[a-z]+://", "", target).split("/")[0].rsplit(":", 1)[0].strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host.endswith(".test")  # resolved by the loopback DNS stand-in, never sent out


def test_the_loopback_example_targets_only_loopback():
    settings = load_settings(str(EXAMPLES / "loopback.toml"))
    assert settings.monitor.default_platforms is False
    assert settings.monitor.controls and all(_is_loopback(c) for c in settings.monitor.controls)
    targets = all_targets(settings)
    assert targets and all(_is_loopback(t) for t in targets), targets
    dns = [c for p in settings.platforms for c in p.checks if isinstance(c, DnsCheck)]
    assert dns and all(c.nameserver == "127.0.0.1" for c in dns)
    assert all(a.url.get_secret_value().count("127.0.0.1") for a in settings.alerts)
