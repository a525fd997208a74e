"""`@lossboard.variant(...)`: declare your own training loop as a lossboard job.

The one way a variant is declared: the tutorial's sixteen loops use it too. Calling it imports
lossboard's registry (standard library only); importing `lossboard` does not.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

Loop = Callable[[Any], Generator[Any, None, None]]


def variant(
    id: str,
    *,
    title: str,
    fields: type | None = None,
    devices: tuple[str, ...] = ("cpu", "cuda", "mps"),
    **facts: Any,
) -> Callable[[Loop], Loop]:
    """Declare a generator as a variant under `id`.

    The generator takes the run's config (`config.iterations`, `.seed`, `.device`, and
    `.fields`, an instance of `fields`, a pydantic model, as validated) and yields, each step,
    a loss (a float) or a dict of named floats (its `loss` is the run's primary series). Other
    `facts` are the registry's own (`section`, `description`, `iterations`, ...).
    """

    def add(loop: Loop) -> Loop:
        # Inside the function: `import lossboard` stays light; a declaration needs the registry.
        from server.training import registry

        own = {"fields_model": fields} if fields is not None else {}
        registry.declare(id, loop, title=title, devices=tuple(devices), **own, **facts)
        return loop

    return add
