"""Onbon BX-5/6 (仰邦 五代/六代) frame encoder and decoder: pure functions.

Frame on the wire::

    A5 ×8 | escaped( header 14 B | data N B | CRC 2 B ) | 5A

    header  dst addr (2, LE; bar address, default 0x0001)
            src addr (2, LE; 0x8000 = the host)
            reserved (6 × 00)
            device type (1; 0xFE = any controller)
            protocol version (1; 0x02)
            data length N (2, LE)
    data    command group (1) | command (1) | response flag (1: 01 reply,
            02 no reply; in a reply: the status code) | 2 bytes | payload

The two bytes after the response flag are ``00 00`` in the protocol's field
table but hold the remaining data length (``N - 5``) in its own A3 06 example,
whose CRC checks. Both decode; :data:`SEND_CONVENTION` ("remaining") is what
``encode_frame`` writes by default. For commands without payload (ping A2 00,
clear A3 10) both conventions give ``00 00``.

CRC-16/ARC (reflected poly 0xA001, init 0) over the unescaped bytes from the
destination address to the last data byte, sent low byte first. Escaping
(A5→A6 02, A6→A6 01, 5A→5B 02, 5B→5B 01) covers header, data and CRC, never
the preamble nor the trailer, so inside a frame A5 and 5A never appear.
"""

from dataclasses import dataclass

from ..errors import FrameError

PREAMBLE = b"\xa5" * 8
TRAILER = 0x5A
HOST_ADDRESS = 0x8000
DEVICE_ANY = 0xFE
PROTOCOL_VERSION = 0x02
REPLY_REQUIRED = 0x01
REPLY_NOT_REQUIRED = 0x02
SEND_CONVENTION = "remaining"  # or "zero"
HEADER_SIZE = 14

_ESCAPE = {0xA5: b"\xa6\x02", 0xA6: b"\xa6\x01", 0x5A: b"\x5b\x02", 0x5B: b"\x5b\x01"}
_UNESCAPE = {(0xA6, 0x02): 0xA5, (0xA6, 0x01): 0xA6, (0x5B, 0x02): 0x5A, (0x5B, 0x01): 0x5B}


@dataclass(frozen=True)
class Frame:
    """One decoded frame. ``flag`` is the response flag in a request, the status in a reply."""

    group: int
    command: int
    flag: int = REPLY_REQUIRED
    payload: bytes = b""
    dst: int = 0x0001
    src: int = HOST_ADDRESS
    device_type: int = DEVICE_ANY
    protocol: int = PROTOCOL_VERSION
    marker: int | None = None  # data bytes 4-5; None: write per SEND_CONVENTION
    reserved: bytes = bytes(6)  # header bytes 5-10, zero in every frame we send

    @property
    def length_convention(self) -> str:
        """How data bytes 4-5 were used: "remaining", "zero" or "other"."""
        if self.marker is None:
            return SEND_CONVENTION
        if self.payload and self.marker == len(self.payload):
            return "remaining"
        return "zero" if self.marker == 0 else "other"


def crc16(data: bytes) -> int:
    """CRC-16/ARC: reflected polynomial 0xA001, initial value 0, no final xor."""
    crc = 0
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
    return crc


def escape(data: bytes) -> bytes:
    """Replace A5, A6, 5A, 5B by their two-byte escapes."""
    return b"".join(_ESCAPE.get(b, bytes((b,))) for b in data)


def unescape(data: bytes) -> bytes:
    """Undo :func:`escape`; raises FrameError on a lone A6/5B or a raw A5/5A."""
    out, pos = bytearray(), 0
    while pos < len(data):
        byte = data[pos]
        if byte in (0xA5, 0x5A):
            raise FrameError(f"unescaped {byte:02X} at body byte {pos}: frame is corrupt")
        if byte in (0xA6, 0x5B):
            pair = (byte, data[pos + 1]) if pos + 1 < len(data) else (byte, None)
            if pair not in _UNESCAPE:
                raise FrameError(f"bad escape {data[pos:pos + 2].hex(' ')} at body byte {pos}")
            out.append(_UNESCAPE[pair])
            pos += 2
        else:
            out.append(byte)
            pos += 1
    return bytes(out)


def encode_frame(frame: Frame) -> bytes:
    """The bytes to put on the wire for ``frame``."""
    marker = frame.marker
    if marker is None:
        marker = len(frame.payload) if SEND_CONVENTION == "remaining" else 0
    data = bytes((frame.group, frame.command, frame.flag)) + marker.to_bytes(2, "little")
    data += frame.payload
    if len(data) > 0xFFFF:
        raise FrameError(f"frame data of {len(data)} bytes exceeds the 65535-byte limit")
    if len(frame.reserved) != 6:
        raise FrameError(f"reserved header field must be 6 bytes, got {len(frame.reserved)}")
    header = (frame.dst.to_bytes(2, "little") + frame.src.to_bytes(2, "little") + frame.reserved
              + bytes((frame.device_type, frame.protocol)) + len(data).to_bytes(2, "little"))
    body = header + data
    return PREAMBLE + escape(body + crc16(body).to_bytes(2, "little")) + bytes((TRAILER,))


def decode_frame(raw: bytes) -> Frame:
    """Check and decode one complete frame (preamble to trailer)."""
    if not raw.startswith(PREAMBLE):
        raise FrameError(f"frame must start with 8 × A5, got {raw[:8].hex(' ')}")
    if raw[-1:] != bytes((TRAILER,)):
        raise FrameError(f"frame must end with 5A, got {raw[-1:].hex() or 'nothing'}")
    body = unescape(raw[len(PREAMBLE):-1].lstrip(b"\xa5"))
    if len(body) < HEADER_SIZE + 5 + 2:
        raise FrameError(f"frame body of {len(body)} bytes is too short for header, data and CRC")
    content, sent_crc = body[:-2], int.from_bytes(body[-2:], "little")
    if crc16(content) != sent_crc:
        raise FrameError(f"CRC mismatch: frame says {sent_crc:04X}, bytes give {crc16(content):04X}")
    length = int.from_bytes(content[12:14], "little")
    data = content[HEADER_SIZE:]
    if length != len(data):
        raise FrameError(f"header data length {length} does not match the {len(data)} data bytes")
    # Bytes 4-5 are kept as found: 0, the remaining length, or (from some
    # controller) anything else; the CRC already vouched for them.
    return Frame(group=data[0], command=data[1], flag=data[2], payload=data[5:],
                 dst=int.from_bytes(content[0:2], "little"),
                 src=int.from_bytes(content[2:4], "little"),
                 device_type=content[10], protocol=content[11], reserved=content[4:10],
                 marker=int.from_bytes(data[3:5], "little"))


class FrameReader:
    """Cut a byte stream into frames: feed bytes, get back complete raw frames.

    A frame starts at an A5 and ends at the next 5A (escaping keeps both out of
    the body). Bytes before a preamble are dropped.
    """

    def __init__(self, limit: int = 65536) -> None:
        self._buffer = bytearray()
        self._limit = limit

    def feed(self, data: bytes) -> list[bytes]:
        self._buffer += data
        frames = []
        while True:
            start = self._buffer.find(0xA5)
            if start < 0:
                self._buffer.clear()
                return frames
            del self._buffer[:start]
            end = self._buffer.find(TRAILER)
            if end < 0:
                if len(self._buffer) > self._limit:
                    self._buffer.clear()
                return frames
            frames.append(bytes(self._buffer[:end + 1]))
            del self._buffer[:end + 1]
