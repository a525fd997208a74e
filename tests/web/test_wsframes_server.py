"""SharedFrameProtocol through a real uvicorn: shared frames go out as they are, all else as uvicorn
sends it. It subclasses uvicorn's private sans-I/O protocol, so a uvicorn release that changes
what it relies on fails here first."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.sync.client import connect

from server.web.wsframes import FramedText, SharedFrameProtocol
from tests.helpers import ThreadServer

# A FramedText whose ready frame says something else than its text: the client tells which went out.
DECOY = FramedText('{"sent": "as text"}')
DECOY.frame = Frame(Opcode.TEXT, b'{"sent": "as the shared frame"}').serialize(mask=False)


async def talk(websocket: WebSocket) -> None:
    """Send the decoy, a plain text, a real points batch and binary, then close with 4404."""
    await websocket.accept()
    await websocket.send_text(DECOY)
    await websocket.send_text('{"plain": true}')
    await websocket.send_text(FramedText.of(json.dumps({"loss": [0.5] * 70_000}).encode()))
    await websocket.send_bytes(b"\x00\x01")
    await websocket.close(4404)


@contextmanager
def serving(deflate: bool) -> Iterator[str]:
    """The talking app under uvicorn with SharedFrameProtocol, as `lossboard serve` runs it."""
    app = Starlette(routes=[WebSocketRoute("/ws", talk)])
    options = {"ws": SharedFrameProtocol, "ws_per_message_deflate": deflate}
    with ThreadServer(app, **options) as server:
        yield server.ws_url + "/ws"


def receive_all(url: str, **options) -> tuple[list, int | None]:
    messages = []
    with connect(url, max_size=None, **options) as socket:
        try:
            while True:
                messages.append(socket.recv())
        except ConnectionClosed as closed:
            return messages, closed.rcvd.code if closed.rcvd else None


def test_shared_frame_goes_out_as_it_is_and_the_rest_as_uvicorn_sends_it():
    with serving(deflate=False) as url:
        messages, code = receive_all(url, compression="deflate")  # asked for, not granted
    assert json.loads(messages[0]) == {"sent": "as the shared frame"}
    assert json.loads(messages[1]) == {"plain": True}
    assert json.loads(messages[2]) == {"loss": [0.5] * 70_000}
    assert messages[3] == b"\x00\x01"
    assert code == 4404


def test_with_deflate_negotiated_the_text_goes_out_compressed_instead():
    with serving(deflate=True) as url:
        messages, code = receive_all(url, compression="deflate")
    assert json.loads(messages[0]) == {"sent": "as text"}  # a ready frame cannot be deflated
    assert json.loads(messages[2]) == {"loss": [0.5] * 70_000} and code == 4404
