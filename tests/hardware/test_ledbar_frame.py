"""BX-5/6 frames: published examples, a hand-built frame, escaping, CRC, errors."""

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.errors import FrameError
from hardware.ledbar import (
    Area, Color, Frame, FrameReader, TextRun, clear_frame, crc16, decode_frame,
    dynamic_text_frame, encode_frame, parse_dynamic_areas, ping_frame, text_frame,
)
from hardware.ledbar.frame import escape, unescape

HEADER = "a5 a5 a5 a5 a5 a5 a5 a5 01 00 00 80 00 00 00 00 00 00 fe 02"

# Published examples (Onbon BX-5/6 protocol document, as quoted in public code).
PING = bytes.fromhex(HEADER + " 05 00 a2 00 01 00 00 68 f8 5a")
CLEAR = bytes.fromhex(HEADER + " 05 00 a3 10 01 00 00 51 f8 5a")
# The document's real-time text example: bytes 4-5 of the data hold the
# remaining length (2D = 45); its CRC A8 7D checks.
DOC_TEXT = bytes.fromhex(
    HEADER + " 32 00 a3 06 01 2d 00 00 01 29 00 00 00 00 00 00 18 00 20 00 00 00 00 02 00"
    " 00 00 00 02 02 03 00 04 05 0e 00 00 00 30 31 32 33 34 35 51 52 53 54 54 56 27 42 a8 7d 5a")
# A frame found in public code that follows the field table (00 00 in bytes
# 4-5) and asks for no reply; its CRC 82 DA checks.
FIELD_TABLE_TEXT = bytes.fromhex(
    HEADER + " 35 00 a3 06 02 00 00 00 01 2c 00 00 00 00 0c 00 40 00 0c 00 01 0a 01 02 00 00"
    " 00 00 01 01 01 00 17 02 11 00 00 00 5c 46 4f 30 30 30 54 45 4d 50 45 52 3a 32 31 a1 e6"
    " 82 da 5a")


def test_ping_matches_the_published_frame_and_crc_68_f8():
    assert ping_frame() == PING
    assert crc16(PING[8:-3]) == 0xF868


def test_clear_matches_the_published_frame_and_crc_51_f8():
    assert clear_frame() == CLEAR
    assert crc16(CLEAR[8:-3]) == 0xF851


def test_documented_text_example_is_reproduced_byte_for_byte():
    area = Area(width=192, height=32, align=0, single_line=2, newline=2, display_mode=3,
                speed=4, stay=5)
    assert dynamic_text_frame(b"012345QRSTTV'B", area) == DOC_TEXT
    assert decode_frame(DOC_TEXT).length_convention == "remaining"


def test_field_table_convention_decodes_too():
    frame = decode_frame(FIELD_TABLE_TEXT)
    assert frame.length_convention == "zero" and frame.flag == 0x02
    [(area, text)] = parse_dynamic_areas(frame.payload)
    assert (area.y, area.width, area.height, area.area_id) == (12, 512, 12, 1)
    assert text.decode("gb2312") == "\\FO000TEMPER:21℃"
    assert encode_frame(frame) == FIELD_TABLE_TEXT  # the marker survives a round trip


def _reference_crc(data: bytes) -> int:
    """CRC-16/ARC written out differently from the module: reflect, poly 0x8005."""
    def reflect(value: int, bits: int) -> int:
        return int(f"{value:0{bits}b}"[::-1], 2)
    crc = 0
    for byte in data:
        crc ^= reflect(byte, 8) << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) & 0xFFFF if crc & 0x8000 else (crc << 1) & 0xFFFF
    return reflect(crc, 16)


def test_hand_built_text_frame_from_the_spec():
    # Bar 3 shows "姚Z" in yellow: 姚 is D2 A6 in GB2312 and Z is 5A, so both
    # escapes appear. Everything below is written from the protocol description.
    text = b"\\FO000\\C3" + bytes([0xD2, 0xA6]) + b"Z"
    record = (bytes([0x00]) + (0).to_bytes(2, "little") + (0).to_bytes(2, "little")
              + (64 // 8).to_bytes(2, "little") + (16).to_bytes(2, "little")
              + bytes([0x00, 0x00, 0x00]) + (2).to_bytes(2, "little")
              + bytes([0x00, 0x00, 0x02, 0x01, 0x02, 0x01, 0x00, 0x00, 0x0A])
              + len(text).to_bytes(4, "little") + text)
    payload = bytes([0x00, 0x01]) + len(record).to_bytes(2, "little") + record
    data = bytes([0xA3, 0x06, 0x01]) + len(payload).to_bytes(2, "little") + payload
    header = ((3).to_bytes(2, "little") + (0x8000).to_bytes(2, "little") + bytes(6)
              + bytes([0xFE, 0x02]) + len(data).to_bytes(2, "little"))
    body = header + data
    body += _reference_crc(body).to_bytes(2, "little")
    escaped = (body.replace(b"\xa6", b"\xa6\x01").replace(b"\xa5", b"\xa6\x02")
               .replace(b"\x5b", b"\x5b\x01").replace(b"\x5a", b"\x5b\x02"))
    expected = b"\xa5" * 8 + escaped + b"\x5a"
    assert b"\xa6\x01" in expected and b"\x5b\x02" in expected
    assert text_frame([TextRun("姚Z", Color.YELLOW)], Area(width=64), address=3) == expected


def test_corrupted_crc_is_rejected_with_a_clear_message():
    broken = PING[:-3] + bytes([PING[-3] ^ 0x01]) + PING[-2:]
    with pytest.raises(FrameError, match="CRC mismatch"):
        decode_frame(broken)


def test_flipped_payload_byte_is_rejected():
    broken = bytearray(DOC_TEXT)
    broken[60] ^= 0x10
    with pytest.raises(FrameError, match="CRC"):
        decode_frame(bytes(broken))


@pytest.mark.parametrize("raw, message", [
    (PING[1:], "8 × A5"),
    (PING[:-1], "end with 5A"),
    (PING[:8] + b"\x01\x00\xa6\x07" + PING[12:], "bad escape"),
    (PING[:8] + b"\x01\x00" + b"\x5a" + PING[10:], "end with 5A|unescaped"),
    (PING[:20] + PING[-3:], "too short"),
])
def test_malformed_frames_are_rejected(raw, message):
    with pytest.raises(FrameError, match=message):
        decode_frame(raw)


def test_frame_error_is_a_value_error():
    with pytest.raises(ValueError):
        decode_frame(b"nonsense")


frames = st.builds(
    Frame,
    group=st.integers(0, 255), command=st.integers(0, 255), flag=st.integers(0, 255),
    payload=st.binary(max_size=300), dst=st.integers(0, 0xFFFF), src=st.integers(0, 0xFFFF),
    device_type=st.integers(0, 255), protocol=st.integers(0, 255),
)


@settings(database=None, max_examples=300)
@given(frames)
def test_decode_of_encode_is_identity(frame):
    raw = encode_frame(frame)
    assert decode_frame(raw) == dataclasses.replace(frame, marker=len(frame.payload))
    body = raw[8:-1]
    assert 0xA5 not in body and 0x5A not in body
    assert raw[:8] == b"\xa5" * 8 and raw[-1] == 0x5A


@settings(database=None, max_examples=300)
@given(st.binary(max_size=200))
def test_unescape_of_escape_is_identity(data):
    assert unescape(escape(data)) == data


@settings(database=None, max_examples=100)
@given(st.lists(frames, min_size=1, max_size=4), st.binary(max_size=20).filter(
    lambda junk: 0xA5 not in junk), st.integers(1, 64))
def test_reader_splits_a_stream_cut_anywhere(frame_list, junk, chunk):
    stream = junk + b"".join(encode_frame(f) for f in frame_list)
    reader, found = FrameReader(), []
    for start in range(0, len(stream), chunk):
        found += reader.feed(stream[start:start + chunk])
    assert [decode_frame(raw) for raw in found] == [
        dataclasses.replace(f, marker=len(f.payload)) for f in frame_list]
