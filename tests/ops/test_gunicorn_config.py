"""gunicorn.conf.py: workers from cores (capped), bind and overrides from the environment."""

import os
import runpy
from pathlib import Path
from unittest import mock

import pytest

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def load(env: dict[str, str], cores: int = 2) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "WEB_CON"))}
    with (
        mock.patch.dict(os.environ, {**clean, **env}, clear=True),
        mock.patch("os.sched_getaffinity", return_value=set(range(cores))),
    ):
        return runpy.run_path(str(CONFIG))


@pytest.mark.parametrize(("cores", "workers"), [(1, 3), (2, 5), (3, 7), (16, 8)])
def test_workers_are_two_per_core_plus_one_capped(cores, workers):
    assert load({}, cores=cores)["workers"] == workers


def test_environment_overrides():
    config = load(
        {"WEB_CONCURRENCY": "3", "GUNICORN_BIND": "0.0.0.0:8000", "GUNICORN_MAX_WORKERS": "4"}
    )
    assert config["workers"] == 3
    assert config["bind"] == ["0.0.0.0:8000"]
    assert load({"GUNICORN_MAX_WORKERS": "4"}, cores=8)["workers"] == 4


def test_defaults_are_safe_behind_a_proxy():
    config = load({})
    assert config["bind"] == ["127.0.0.1:8000"]
    assert config["accesslog"] == "-"
    assert "x-request-id" in config["access_log_format"]
    assert config["wsgi_app"] == "smm_site.wsgi:application"
    assert config["control_socket_disable"] is True
