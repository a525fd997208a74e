"""The `lossboard sweep` flags, and the POST /api/sweeps body they make (docs/api.md, Sweeps)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from server.cli.run_flags import FLAGS, spec_values, value

# the common fields fixed for every run (the name is the sweep's, its runs repeat no run);
# --seed is the first seed; a variant's own come through --set
BASE_FIELDS = tuple(f for f in FLAGS if f not in ("name", "rerun_of"))
RANGE_FLAGS = {
    "log_uniform": "--log-uniform",
    "uniform": "--uniform",
    "int_uniform": "--int-uniform",
}
DRAWN = {"log_uniform": "log-uniformly", "uniform": "uniformly", "int_uniform": "as an integer"}
PARAM_FLAGS = {"values": "--grid", **RANGE_FLAGS}
NO_PARAMS = (
    "give what to sweep: --grid FIELD=v1,v2,... (repeatable), or --random --count N with "
    "--log-uniform, --uniform or --int-uniform FIELD=lo,hi"
)
METHODS = ("grid", "random", "tpe", "cmaes", "gp", "qmc")  # SweepCreate's `method`
PRUNERS = ("none", "median", "successive_halving", "hyperband")

Param = tuple[str, str, list]  # (field, kind, values): ("learning_rate", "values", [1e-06])


def add_sweep(sweep: argparse.ArgumentParser) -> None:
    """The sweep's own flags; the run fields (--iterations, --set ...) come from a parent."""
    sweep.add_argument("variant", help="the variant's id (`lossboard variants` lists them)")
    sweep.add_argument(
        "--variant",
        dest="variants",
        action="append",
        default=[],
        metavar="VARIANT",
        help="another variant, crossed with the rest (repeatable)",
    )
    sweep.add_argument(
        "--grid",
        dest="params",
        action="append",
        type=param_type("values"),
        metavar="FIELD=V1,V2,...",
        help="the values to try for a field (repeatable); with --random, to draw from",
    )
    sweep.add_argument("--random", action="store_true", help="sample --count points at random")
    sweep.add_argument(
        "--method",
        choices=METHODS,
        help="grid (default), random, or a search by Optuna's sampler: tpe, cmaes, gp, qmc",
    )
    sweep.add_argument("--pruner", choices=PRUNERS, help="stop unpromising points early")
    sweep.add_argument("--report-every", type=int, help="steps between reports to the pruner")
    sweep.add_argument(
        "--objective", choices=("final", "best", "mean_last"), help="what a point scores"
    )
    sweep.add_argument("--k", type=int, help="with --objective mean_last: the losses averaged")
    for kind, flag in RANGE_FLAGS.items():
        sweep.add_argument(
            flag,
            dest="params",
            action="append",
            type=param_type(kind),
            metavar="FIELD=LO,HI",
            help=f"with --random or a search: draw the field {DRAWN[kind]} in [LO, HI]",
        )
    sweep.add_argument("--count", type=int, help="with --random or a search: how many points")
    sweep.add_argument("--seeds", type=int, help="runs per point, seeds S, S+1, ... (default 1)")
    sweep.add_argument("--seed", type=int, help="S, the first seed (default: a random one)")
    sweep.add_argument("--name", help="a label for the sweep")
    sweep.add_argument("--max-parallel", type=int, help="at most this many runs at once")
    sweep.add_argument(
        "--follow",
        action="store_true",
        help="show a live table of the points; exit 0 when the sweep completes, 1 otherwise",
    )
    sweep.set_defaults(check=lambda args: check(sweep, args))


def check(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Put the request body on args.spec, or stop with a usage error (exit 2) that says why."""
    try:
        args.spec = sweep_spec(args)
    except ValueError as exc:
        parser.error(str(exc))


def param_type(kind: str) -> Callable[[str], Param]:
    """The argparse type of a --grid (kind "values") or range flag: FIELD=... to a Param."""

    def parse(text: str) -> Param:
        field, equals, rest = text.partition("=")
        field = field.strip()
        if not field.isidentifier() or not equals:
            shape = "V1,V2,..." if kind == "values" else "LO,HI"
            raise argparse.ArgumentTypeError(f"expected FIELD={shape}, got {text!r}")
        items = [item.strip() for item in rest.split(",")]
        if "" in items:
            raise argparse.ArgumentTypeError(f"{field}: an empty value in {rest!r}")
        values = [value(item) for item in items]
        if kind != "values" and (len(values) != 2 or not all(map(is_number, values))):
            raise argparse.ArgumentTypeError(f"{field}: expected LO,HI (two numbers), got {rest!r}")
        return field, kind, values

    parse.__name__ = PARAM_FLAGS[kind]  # argparse names the flag's type in its messages
    return parse


def is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def sweep_spec(args: argparse.Namespace) -> dict:
    """The POST /api/sweeps body from the parsed flags; ValueError says what is wrong."""
    method = chosen_method(args)
    params = swept(args.params or [], method != "grid")
    if args.count is not None and method == "grid":
        raise ValueError("--count needs --random or a search method (a grid tries every value)")
    if method != "grid" and args.count is None:
        flag = "--random" if method == "random" else f"--method {method}"
        raise ValueError(f"{flag} needs --count N, the number of points to sample or search")
    base = spec_values(args, BASE_FIELDS)  # ValueError for a field given twice
    if fixed := sorted(set(params) & set(base)):
        raise ValueError(f"{fixed[0]}: both swept and fixed by its own flag; give one of them")
    variants = [args.variant, *args.variants]
    spec: dict = {"variants": variants} if len(variants) > 1 else {"variant": args.variant}
    spec |= {"method": method, "params": params, "base": base}
    optional = {"name": args.name, "count": args.count, "seeds": args.seeds}
    optional |= {"max_parallel": args.max_parallel, "pruner": args.pruner, "k": args.k}
    optional |= {"report_every": args.report_every, "objective": args.objective}
    return spec | {k: v for k, v in optional.items() if v is not None}


def chosen_method(args: argparse.Namespace) -> str:
    """--method, or random for --random (the two agree when both are given)."""
    if args.random and args.method not in (None, "random"):
        raise ValueError(f"--random and --method {args.method}: give one of them")
    return args.method or ("random" if args.random else "grid")


def swept(given: list[Param], random: bool) -> dict[str, dict]:
    """The params object: one {kind: values} per field, each field once."""
    if not given:
        raise ValueError(NO_PARAMS)
    params: dict[str, dict] = {}
    for field, kind, values in given:
        if field in params:
            raise ValueError(f"{field}: swept twice; sweep each field with one flag")
        if kind != "values" and not random:
            raise ValueError(
                f"{field}: {PARAM_FLAGS[kind]} needs --random (or a search --method) and --count N"
            )
        params[field] = {kind: values}
    return params
