"""`lossboard runs` and `show` print a run's text as it is: control characters escaped, so a
name cannot drive the terminal, and rich markup in it shown literally."""

from __future__ import annotations

import pytest

from server.cli.commands import display
from tests.cli.support import lossboard

HOSTILE = "\x1b[31mred\x07"
SHOWN = "\\x1b[31mred\\x07"


def named_run(server, name: str) -> int:
    body = {"variant": "numpy", "iterations": 3, "name": name}
    response = server.api("POST", "/api/runs", json=body)
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_runs_shows_control_characters_in_a_name_escaped(server):
    named_run(server, HOSTILE)
    out = lossboard(server, "runs", "--limit", "5").stdout
    assert SHOWN in out
    assert "\x1b" not in out and "\x07" not in out


def test_show_shows_control_characters_in_a_name_escaped(server):
    run_id = named_run(server, HOSTILE + "\x9b2J\x00")  # C1's one-byte CSI, and NUL
    out = lossboard(server, "show", str(run_id)).stdout
    assert SHOWN + "\\x9b2J\\x00" in out
    assert not any(char in out for char in "\x1b\x07\x9b\x00")


def test_show_shows_rich_markup_in_a_name_literally(server):
    run_id = named_run(server, "[bold]x[/]")
    assert "[bold]x[/]" in lossboard(server, "show", str(run_id)).stdout


def test_runs_shows_rich_markup_in_a_name_literally(server):
    named_run(server, "[red]y[/red]")
    assert "[red]y[/red]" in lossboard(server, "runs", "--limit", "5").stdout


@pytest.mark.parametrize(
    ("key", "value", "shown"),
    [
        ("name", "a\nb\tc", "a\\x0ab\\x09c"),  # a name is one line of a table
        ("notes", "a\nb\tc\x1b", "a\nb\tc\\x1b"),  # notes keep their lines and tabs
        ("error", "boom\x7f", "boom\\x7f"),
    ],
)
def test_display_escapes_every_text_field(key, value, shown):
    assert display(key, value).plain == shown


BIDI = "safe\u202eexe.txt\u2066x\u2069\u200b"  # right-to-left override, isolates, zero width
BIDI_SHOWN = "safe\\u202eexe.txt\\u2066x\\u2069\\u200b"


def test_runs_and_show_escape_bidi_and_format_characters_in_a_name(server):
    run_id = named_run(server, BIDI)
    for out in (lossboard(server, "runs", "--limit", "5").stdout,
                lossboard(server, "show", str(run_id)).stdout):  # fmt: skip
        assert BIDI_SHOWN in out
        assert not any(char in out for char in "\u202e\u2066\u2069\u200b")
