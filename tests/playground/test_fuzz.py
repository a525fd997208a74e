"""Random token soup: whatever parses or not, the playground never answers 5xx."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.playground.conftest import post

TOKENS = [
    # Names, including the tutorial's and some that must be refused.
    "x", "y", "a", "torch", "np", "nn", "print", "range", "len", "getattr", "open",
    "__class__", "_x", "torch.ones", "torch.zeros", "torch.rand", "torch.load",
    "np.ones", "x.view", "x.shape", "x.numpy", "x.grad", "x.storage", ".T", ".sum",
    ".backward", ".__dict__", "torch.float", "torch.long",
    # Operators, brackets and punctuation.
    "+", "-", "*", "/", "//", "%", "**", "@", "<<", ">>", "&", "|", "^", "~", "<", ">",
    "==", "!=", "=", "+=", ":=", "(", ")", "[", "]", "{", "}", ",", ":", ".", ";", "*",
    # Numbers and literals.
    "0", "1", "-1", "3", "10**9", "10**10", "2.5", "1e308", "True", "None", "...", "'a'",
    '"{}"', "b''", "f'{x}'",
    # Keywords and layout.
    "if", "else", "elif", "for", "in", "while", "def", "class", "lambda", "import",
    "from", "as", "with", "not", "and", "or", "is", "del", "pass", "break", "return",
    "yield", "try", "\n", "\n    ", "\t",
]  # fmt: skip


@settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(st.sampled_from(TOKENS), max_size=30), st.sampled_from([" ", ""]))
def test_fuzz_token_soup_never_gets_5xx(client, tokens, joiner):
    response = post(client, joiner.join(tokens))
    assert response.status_code < 500, response.text
