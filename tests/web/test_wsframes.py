"""A batch of points is framed once; the frame holds exactly the text, as one unmasked frame."""

from __future__ import annotations

import json

from websockets.frames import Frame, Opcode
from websockets.streams import StreamReader

from server.web.wsframes import FramedText


def parse(frame: bytes) -> Frame:
    reader = StreamReader()
    reader.feed_data(frame)
    reader.feed_eof()
    parser = Frame.parse(reader.read_exact, mask=False)
    try:
        next(parser)
    except StopIteration as done:
        return done.value
    raise AssertionError("the frame was incomplete")


def test_framed_text_is_the_text_and_its_whole_frame():
    for size in (3, 200, 70_000):  # each of the three header lengths
        text = json.dumps({"type": "points", "start": 0, "loss": [0.5] * size})
        framed = FramedText.of(text.encode())
        assert framed == text and isinstance(framed, str) and json.loads(framed)["start"] == 0
        frame = parse(framed.frame)
        assert frame.opcode is Opcode.TEXT and frame.fin and frame.data == text.encode()
