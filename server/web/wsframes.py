"""One websocket frame per batch of points, written as it is to every subscriber of the run.

Every subscriber of a run gets the same `points` message each tick. Through the plain ASGI
path, each copy is encoded, framed and copied again for each socket: with 50 subscribers that
is most of the event loop's work, and the loop holds the GIL that the training thread needs.
`FramedText` is still a `str`, so any ASGI server sends it as the text it is; under
`lossboard serve`, `SharedFrameProtocol` (uvicorn's sans-I/O websocket protocol) recognises
it and writes its ready frame to the socket instead.
"""

from __future__ import annotations

from uvicorn._types import ASGISendEvent
from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.frames import Frame, Opcode
from websockets.protocol import State


class FramedText(str):
    """A text message that also carries its complete, unmasked server-to-client frame."""

    frame: bytes

    @classmethod
    def of(cls, payload: bytes) -> FramedText:
        """The message whose UTF-8 encoding is `payload`."""
        framed = cls(payload.decode())
        framed.frame = Frame(Opcode.TEXT, payload).serialize(mask=False)
        return framed


class SharedFrameProtocol(WebSocketsSansIOProtocol):
    """uvicorn's sans-I/O websocket protocol; a `FramedText` goes out as its ready frame."""

    async def send(self, message: ASGISendEvent) -> None:
        text = message.get("text") if message["type"] == "websocket.send" else None
        if not isinstance(text, FramedText) or self.conn.extensions:
            await super().send(message)  # everything else, exactly as uvicorn does it
            return
        await self.writable.wait()  # a slow reader holds back only its own sends
        if self.disconnected:
            raise ClientDisconnected()
        if not self.handshake_complete or self.initial_response is not None or self.close_sent:
            await super().send(message)  # let uvicorn raise what it raises for these states
            return
        if self.conn.state is not State.OPEN:
            raise ClientDisconnected()  # as uvicorn answers websockets' InvalidState
        self.transport.write(text.frame)
