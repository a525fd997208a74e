"""The `lossboard` command: `serve` starts the server."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from server.config import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lossboard", description="The PyTorch tutorial as live training jobs."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the dashboard and API")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 8000; 0 picks a free one)")
    serve.add_argument("--data-dir", help="where the SQLite database lives (default ./data)")
    serve.add_argument("--token", help="token that mutating requests and websockets need")
    serve.add_argument(
        "--insecure",
        action="store_true",
        default=None,
        help="allow a non-loopback address without a token (a bad idea)",
    )
    serve.set_defaults(handler=serve_command)
    return parser


def serve_command(args: argparse.Namespace) -> int:
    """Run uvicorn with one worker: the run registry lives in this one process."""
    import uvicorn

    from server.app import create_app

    flags = {k: getattr(args, k) for k in ("host", "port", "data_dir", "token", "insecure")}
    try:
        settings = Settings(**{k: v for k, v in flags.items() if v is not None})
    except ValidationError as exc:
        print(f"lossboard: invalid settings: {exc}", file=sys.stderr)
        return 2
    if problem := settings.exposure_problem():
        print(f"lossboard: {problem}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        workers=1,
        log_level=settings.log_level,
        ws_ping_interval=20,
        # Loss points are sent once per subscriber; compressing each copy costs more CPU than
        # the bytes it saves on the loopback and LAN links lossboard runs on.
        ws_per_message_deflate=False,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)
