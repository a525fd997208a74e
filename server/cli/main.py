"""The `lossboard` command: `serve` starts the server; the other subcommands talk to one."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError

from server.cli import commands as c
from server.cli import ingest
from server.cli import sweeps as s
from server.cli.client import ApiError
from server.cli.edits import add_edit_commands
from server.cli.run_flags import NOT_SWEPT_BASE, add_fields, fields_help, run_fields
from server.cli.steer import add_steer_commands
from server.cli.sweep_parser import add_sweep
from server.protocol import STATUSES
from server.settings import Settings
from server.system.malloc import cap_arenas

INSECURE_WARNING = (
    "--insecure: no token; on any address but loopback, anyone who can reach this port can "
    "start jobs and run snippets on this machine. Host names answered: "
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossboard", description="The PyTorch tutorial as live training jobs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    add_serve(commands)
    options = client_options()
    add_client_commands(commands, options)
    ingest.add_commands(commands, options)
    return parser


def add_serve(commands: argparse._SubParsersAction) -> None:
    serve = commands.add_parser("serve", help="serve the dashboard and API")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--data-dir", help="where the SQLite database lives (default ./data)")
    serve.add_argument(
        "--token", help="token that every route but /healthz needs (at least 16 characters)"
    )
    serve.add_argument(
        "--token-file", help="read the token from this file's first line (unlike --token, "
        "not shown by ps)",
    )  # fmt: skip
    serve.add_argument(
        "--insecure",
        action="store_true",
        default=None,
        help="allow a non-loopback address without a token (a bad idea)",
    )
    serve.add_argument(
        "--executor", choices=("local", "ray"), help="where runs train (default local)"
    )
    serve.add_argument(
        "--ray-address",
        help="the Ray cluster: auto, a GCS host:port, or ray://host:10001 (default: a private "
        "local Ray)",
    )
    serve.add_argument(
        "--variants",
        help="modules or .py files that declare variants, comma-separated (LOSSBOARD_VARIANTS)",
    )
    serve.set_defaults(handler=serve_command)


def client_options() -> argparse.ArgumentParser:
    """--url and --token, shared by every subcommand that talks to a server."""
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "--url", help="the server (default $LOSSBOARD_URL, else http://127.0.0.1:8000)"
    )
    options.add_argument("--token", help="the server's token (default $LOSSBOARD_TOKEN)")
    options.add_argument(
        "--token-file", help="read the token from this file's first line (not shown by ps)"
    )
    return options


def add_client_commands(
    commands: argparse._SubParsersAction, options: argparse.ArgumentParser
) -> None:
    def add(
        name: str, handler: Callable, text: str, *more: argparse.ArgumentParser, **kw: Any
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, parents=[options, *more], help=text, description=text, **kw)
        sub.set_defaults(handler=client_command(handler))
        return sub

    fields = run_fields()
    add_run(add("run", c.run_command, "start a run and print its id", fields, add_help=False))
    runs = add("runs", c.runs_command, "list runs, newest first")
    runs.add_argument("--status", choices=STATUSES, help="only runs with this status")
    runs.add_argument("--variant", help="only runs of this variant")
    runs.add_argument("--tag", help="only runs with this tag")
    runs.add_argument("--q", help="search: words, and key:value terms (docs/api.md)")
    runs.add_argument("--sweep", type=int, metavar="ID", help="only the runs of this sweep")
    runs.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    show = add("show", c.show_command, "show one run")
    show.add_argument("id", type=int)
    show.add_argument("--json", action="store_true", help="print the run's JSON")
    cancel = add("cancel", c.cancel_command, "cancel a queued, running or paused run")
    cancel.add_argument("id", type=int)
    export = add("export", c.export_command, "write a run's (or a sweep's) losses")
    export.add_argument("id", type=int)
    export.add_argument("--sweep", action="store_true", help="ID is a sweep: all its runs")
    export.add_argument(
        "--format", choices=("csv", "json", "tensorboard"), default="csv",
        help="step,loss,time rows (csv), the run and its rows (json, a run only), or a zipped "
        "TensorBoard logdir (tensorboard)",
    )  # fmt: skip
    export.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    export.set_defaults(check=lambda args: c.check_export(export, args))
    add_edit_commands(add)
    add_steer_commands(add)
    add("variants", c.variants_command, "list the tutorial's training loops")
    add("devices", c.devices_command, "list the server's devices")
    add_sweep(add("sweep", s.sweep_command, "start a sweep and print its id and page", fields))
    sweeps = add("sweeps", s.sweeps_command, "list sweeps, newest first")
    sweeps.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    cancel_sweep = add("sweep-cancel", s.sweep_cancel_command, "cancel a running sweep")
    cancel_sweep.add_argument("id", type=int)
    show_sweep = add("sweep-show", s.sweep_show_command, "show one sweep and its points")
    show_sweep.add_argument("id", type=int)
    show_sweep.add_argument("--json", action="store_true", help="print the sweep's JSON")


def add_run(run: argparse.ArgumentParser) -> None:
    run.add_argument("variant", help="the variant's id (`lossboard variants` lists them)")
    add_fields(run, list(NOT_SWEPT_BASE))
    run.add_argument(
        "--follow", action="store_true", help="show progress; exit non-zero unless it completes"
    )
    about = "show this help and, after VARIANT, the variant's own fields"
    run.add_argument("-h", "--help", action=VariantHelp, nargs=0, help=about)


class VariantHelp(argparse.Action):
    """`lossboard run VARIANT --help`: the usual help, then the variant's own fields as the
    server's /api/variants gives them (each one's --set FIELD=VALUE)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:  # fmt: skip
        parser.print_help()
        if getattr(namespace, "variant", None):
            print(f"\n{variant_fields(namespace)}")
        parser.exit()


def variant_fields(args: argparse.Namespace) -> str:
    """The --help section of the variant named on the command line, or why there is none."""
    try:
        client = c.make_client(args)
        try:
            listed = client.read_variants()
        finally:
            client.close()
    except ApiError as exc:
        return f"its fields: the server did not answer ({exc}); start it, or give --url"
    for variant in listed:
        if variant["id"] == args.variant:
            return fields_help(variant)
    return f"the server has no variant {args.variant!r}; `lossboard variants` lists them"


def client_command(handler: Callable) -> Callable[[argparse.Namespace], int]:
    """Run a client handler; an API failure becomes one line on stderr and exit status 1."""

    def run(args: argparse.Namespace) -> int:
        try:
            client = c.make_client(args)
        except ApiError as exc:
            print(f"lossboard: {exc}", file=sys.stderr)
            return 1
        try:
            return handler(client, args)
        except ApiError as exc:
            print(f"lossboard: {exc}", file=sys.stderr)
            return 1
        finally:
            client.close()

    return run


def serve_command(args: argparse.Namespace) -> int:
    """Run uvicorn with one worker: the run registry lives in this one process."""
    names = ("host", "port", "data_dir", "token", "token_file", "insecure", "executor",
             "ray_address", "variants")  # fmt: skip
    flags = {k: getattr(args, k) for k in names}
    try:
        settings = Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        print(f"lossboard: invalid settings: {setting_errors(exc)}", file=sys.stderr)
        return 2
    if problem := settings.exposure_problem() or executor_problem(settings):
        print(f"lossboard: {problem}", file=sys.stderr)
        return 2
    if settings.insecure and not settings.token:
        hosts = ", ".join(settings.trusted_hosts() or ["any"])
        print(f"lossboard: warning: {INSECURE_WARNING}{hosts}", file=sys.stderr)
    cap_arenas()  # before torch and the server start their threads
    # imported only now (torch comes with the app), so a refusal is instant
    from server.training.registry import DuplicateVariant
    from server.training.variants import plugins
    from server.web.app import create_app
    from server.web.connections import guarded_protocol
    from server.web.server import serve
    from server.web.wsframes import SharedFrameProtocol

    try:
        plugins.use(settings.variants)
    except DuplicateVariant as exc:
        print(f"lossboard: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    # torch, FastAPI and pydantic are loaded now and stay: keep the collector from walking
    # them again on every full collection, which holds the GIL the training runs need.
    gc.freeze()
    serve(
        app,
        host=settings.host,
        port=settings.port,
        workers=1,
        log_level=settings.log_level,
        http=guarded_protocol(settings.max_connections, settings.head_timeout_s),
        h11_max_incomplete_event_size=settings.max_header_bytes,
        ws_ping_interval=20,
        # uvicorn's sans-I/O websockets protocol (about half the CPU per message of the default
        # one, bench/stream.py), writing each batch of points as one frame shared by all of a
        # run's subscribers; compressing each copy would cost more CPU than it saves on
        # loopback and LAN links.
        ws=SharedFrameProtocol,
        ws_per_message_deflate=False,
    )
    return 0


def setting_errors(exc: ValidationError) -> str:
    """'token: the token must be ...' for each bad setting, on one line."""
    reasons = (f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    return "; ".join(reason.replace("Value error, ", "") for reason in reasons)


def executor_problem(settings: Settings) -> str | None:
    """Why the Ray executor cannot start here (Ray missing, cluster unreachable), or None."""
    if settings.executor != "ray":
        return None
    # Here, not at the top: the executors bring torch, which the client commands never load.
    from server.training.executors.ray_auth import private_auth

    if settings.ray_address is None:  # a private Ray's token, set before Ray is imported
        private_auth(settings.data_dir)
    try:  # Ray is an optional extra: imported only for --executor ray
        from server.training.executors.ray_tasks import check_address
    except ImportError:
        return "--executor ray needs Ray: pip install 'lossboard[ray]'"
    return check_address(settings.ray_address)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if check := getattr(args, "check", None):
        check(args)  # a usage error exits 2 here, before any request
    try:
        return args.handler(args)
    except KeyboardInterrupt:  # Ctrl-C: stop quietly; a followed run keeps running
        return 130
