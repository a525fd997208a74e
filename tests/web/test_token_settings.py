"""The configured token: empty means none, a short one is refused at startup."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from server.settings import Settings
from tests.helpers import server_env


@pytest.mark.parametrize("token", ["short", "fifteen-chars-x", " " * 20 + "short"])
def test_token_shorter_than_16_characters_is_refused(token):
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(token=token)


@pytest.mark.parametrize("token", ["", "   "])
def test_empty_or_blank_token_means_none(token):
    assert Settings(token=token).token is None


def test_token_of_16_characters_is_kept_without_surrounding_spaces():
    assert Settings(token=" sixteen-chars-xy\n").token == "sixteen-chars-xy"


@pytest.mark.parametrize(
    ("args", "env"), [(["--token", "short"], {}), ([], {"LOSSBOARD_TOKEN": "short"})]
)
def test_serve_with_a_short_token_exits_with_one_clear_line(tmp_path, args, env):
    command = [sys.executable, "-m", "server", "serve", "--data-dir", str(tmp_path), *args]
    result = subprocess.run(
        command, env=server_env(env), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert result.stderr.startswith("lossboard: invalid settings: token: the token must be at")
    assert "at least 16 characters (it has 5)" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_token_file_gives_the_token_and_wins_over_the_setting(tmp_path):
    path = tmp_path / "token"
    path.write_text("token-from-a-file-0123\n")
    assert Settings(token_file=path).token == "token-from-a-file-0123"
    assert Settings(token="token-given-directly", token_file=path).token == path.read_text().strip()


def test_unreadable_token_file_is_refused_naming_it(tmp_path):
    with pytest.raises(ValidationError, match=r"cannot read the token file .*missing"):
        Settings(token_file=tmp_path / "missing")


def test_short_token_in_a_file_is_refused(tmp_path):
    (tmp_path / "token").write_text("short\n")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        Settings(token_file=tmp_path / "token")


@pytest.mark.parametrize("token", ["a" * 16, "x" * 40])
def test_token_of_one_repeated_character_is_refused(token):
    with pytest.raises(ValidationError, match="one character repeated"):
        Settings(token=token)
