"""`from lossboard.tensorboard import SummaryWriter`: TensorBoard's scalar calls, to lossboard.

Only scalars: add_scalar, add_scalars, flush and close. Each tag is a series; add_scalars'
tags are `main_tag/tag`, grouped on the run page as TensorBoard groups them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import lossboard


class SummaryWriter:
    """A lossboard run with torch.utils.tensorboard.SummaryWriter's scalar methods."""

    def __init__(
        self,
        log_dir: str | os.PathLike[str] | None = None,
        comment: str = "",
        *,
        config: Mapping[str, Any] | None = None,
        tags: list[str] | None = None,
        **options: Any,
    ) -> None:
        """`log_dir` (or `comment`) names the run; `options` go to lossboard.init (url,
        token, mode...), and TensorBoard's own (flush_secs, max_queue...) are ignored."""
        tensorboard_only = ("purge_step", "max_queue", "flush_secs", "filename_suffix")
        for option in tensorboard_only:
            options.pop(option, None)
        name = os.fspath(log_dir) if log_dir else comment or None
        self.run = lossboard.init(name=name, config=config, tags=tags, **options)
        self.steps: dict[str, int] = {}  # a tag's next step, when add_scalar is given none

    def add_scalar(
        self, tag: str, scalar_value: Any, global_step: int | None = None, **ignored: Any
    ) -> None:
        """Log one value of series `tag` (walltime and the like are ignored)."""
        step = self.steps.get(tag, 0) if global_step is None else global_step
        self.run.log({tag: scalar_value}, step=step)
        self.steps[tag] = int(step) + 1

    def add_scalars(
        self,
        main_tag: str,
        tag_scalar_dict: Mapping[str, Any],
        global_step: int | None = None,
        **ignored: Any,
    ) -> None:
        """Log several series at once, each as `main_tag/tag`."""
        for tag, value in tag_scalar_dict.items():
            self.add_scalar(f"{main_tag}/{tag}", value, global_step)

    def flush(self) -> None:
        """Nothing to do: points leave within 50 ms of being logged."""

    def close(self) -> None:
        """Finish the run: wait for the server to store every point."""
        self.run.finish()

    def __enter__(self) -> SummaryWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
