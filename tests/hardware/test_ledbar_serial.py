"""SerialLedBar talking to EmulatedLedBar over real pseudo-terminals."""

import logging
import os
import queue
import shutil
import subprocess
import threading
import time

import pytest
import serial
from PIL import Image

from hardware.errors import BarNotAnswering, BarRejected
from hardware.ledbar import (
    Area, BarMode, BarState, Color, EmulatedLedBar, Frame, SerialLedBar, TextRun, decode_frame,
    encode_frame, parse_reply, ping_frame, render_bar_text, text_frame,
)

CALL = BarState("3号窗口", BarMode.CALLING, ticket_number="A012")


@pytest.fixture
def fake_bar():
    with EmulatedLedBar(address=1) as fake:
        yield fake


def test_text_is_shown_and_acknowledged(fake_bar):
    with SerialLedBar(fake_bar.port, address=1, timeout=2) as bar:
        reply = bar.show(render_bar_text(CALL))
    assert reply.ok and reply.message == "ACK"
    assert (reply.frame.group, reply.frame.command, reply.frame.src) == (0xA0, 0x00, 1)
    assert fake_bar.wait_for_text("A012 请到3号窗口", timeout=2)
    assert fake_bar.runs == [TextRun("A012", Color.RED), TextRun(" 请到3号窗口", Color.GREEN)]


def test_ping_and_clear(fake_bar):
    with SerialLedBar(fake_bar.port, timeout=2) as bar:
        assert bar.show([TextRun("张敏 暂停服务")]).ok
        assert bar.ping().ok
        assert bar.clear().ok
    assert fake_bar.text == ""
    assert [(f.group, f.command) for f in fake_bar.frames] == [
        (0xA3, 0x06), (0xA2, 0x00), (0xA3, 0x10)]


def test_frame_without_reply_flag_returns_at_once(fake_bar):
    with SerialLedBar(fake_bar.port, timeout=2) as bar:
        assert bar.send(text_frame([TextRun("欢迎办理")], reply=False)) is None
    assert fake_bar.wait_for_text("欢迎办理", timeout=2)


def test_bar_that_never_answers_raises_within_the_timeout():
    with EmulatedLedBar(answer=False) as mute, \
            SerialLedBar(mute.port, timeout=0.2, retries=1) as bar:
        started = time.monotonic()
        with pytest.raises(BarNotAnswering, match="check power, RS-485 A/B") as caught:
            bar.ping()
        elapsed = time.monotonic() - started
        assert mute.wait_for(lambda b: len(b.frames) == 2, timeout=2)  # two attempts arrived
    assert isinstance(caught.value, TimeoutError)
    assert 0.4 <= elapsed < 2.0


def test_nobody_at_the_other_end_raises_bar_not_answering():
    controller, device = os.openpty()
    try:
        with SerialLedBar(os.ttyname(device), timeout=0.1, retries=0) as bar:
            with pytest.raises(BarNotAnswering):
                bar.ping()
    finally:
        os.close(controller)
        os.close(device)


def test_own_echo_is_not_taken_for_a_reply():
    with SerialLedBar("loop://", timeout=0.1, retries=0) as bar:
        with pytest.raises(BarNotAnswering):
            bar.ping()


def test_bar_at_another_address_stays_silent(fake_bar):
    with SerialLedBar(fake_bar.port, address=2, timeout=0.1, retries=0) as bar:
        with pytest.raises(BarNotAnswering, match="address 2"):
            bar.ping()


def test_unknown_command_is_rejected_with_the_status(fake_bar):
    with SerialLedBar(fake_bar.port, timeout=2) as bar:
        with pytest.raises(BarRejected, match="unknown command") as caught:
            bar.send(encode_frame(Frame(0xA1, 0x7F)))
    assert caught.value.status == 0x02


class FlakyBar(EmulatedLedBar):
    """Answers the first frame with "CRC error", the rest normally."""

    def _apply(self, frame):
        return 0x05 if not self.frames else super()._apply(frame)


def test_crc_error_reply_is_retried():
    with FlakyBar() as flaky, SerialLedBar(flaky.port, timeout=2, retries=1) as bar:
        assert bar.ping().ok
        assert len(flaky.frames) == 2


def test_corrupt_frame_gets_a_crc_nack(fake_bar):
    broken = bytearray(ping_frame())
    broken[-2] ^= 0xFF
    with serial.Serial(fake_bar.port, timeout=2) as port:
        port.write(bytes(broken))
        reply = port.read(30)
    assert parse_reply(decode_frame(reply)).status == 0x05
    assert "CRC mismatch" in fake_bar.errors[0]


def test_rs485_request_on_a_port_without_it_is_logged_and_harmless(fake_bar, caplog):
    with caplog.at_level(logging.WARNING):
        with SerialLedBar(fake_bar.port, timeout=2, rs485=True) as bar:
            assert bar.ping().ok
    assert "RS-485" in caplog.text


def test_close_twice_and_send_after_close(fake_bar):
    bar = SerialLedBar(fake_bar.port)
    bar.close()
    bar.close()
    assert bar.closed
    with pytest.raises(BarNotAnswering, match="closed"):
        bar.ping()


def test_emulator_stop_twice_is_safe():
    fake = EmulatedLedBar().start()
    fake.stop()
    fake.stop()


def test_bar_png_and_terminal_text(fake_bar, tmp_path):
    with SerialLedBar(fake_bar.port, timeout=2) as bar:
        bar.show(render_bar_text(CALL), Area(width=160, height=16))
    assert fake_bar.wait_for_text("A012", timeout=2)
    path = tmp_path / "bar.png"
    image = fake_bar.render_png(path, pitch=6)
    assert image.size == ((160 + 2) * 6, (16 + 2) * 6)
    with Image.open(path) as saved:
        colours = {rgb for _count, rgb in saved.convert("RGB").getcolors(1 << 16)}
    assert (255, 40, 20) in colours and (40, 230, 60) in colours  # red number, green text
    assert fake_bar.render_terminal(color=False) == "[红]A012[绿] 请到3号窗口"


@pytest.mark.skipif(shutil.which("socat") is None, reason="socat is not installed")
def test_over_a_socat_pty_pair(tmp_path):
    host_end, bar_end = tmp_path / "bar-a", tmp_path / "bar-b"
    socat = subprocess.Popen(
        ["socat", "-d", "-d", f"pty,raw,echo=0,link={host_end}", f"pty,raw,echo=0,link={bar_end}"],
        stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(line) for line in socat.stderr])
    reader.start()
    try:
        while "starting data transfer loop" not in lines.get(timeout=5):
            pass
        with EmulatedLedBar(device=str(bar_end)) as fake, \
                SerialLedBar(str(host_end), timeout=2) as bar:
            assert bar.show([TextRun("B007 请到5号窗口", Color.GREEN)]).ok
            assert fake.wait_for_text("B007", timeout=2)
    finally:
        socat.terminate()
        socat.wait(timeout=5)
        reader.join(timeout=5)
        socat.stderr.close()


def test_one_port_serves_several_bars_on_the_bus(fake_bar):
    with SerialLedBar(fake_bar.port, address=2, timeout=0.2, retries=0) as bus:
        assert bus.show([TextRun("C003 请到1号窗口")], address=1).ok  # bar 1 answers
        with pytest.raises(BarNotAnswering, match="address 2"):
            bus.ping()  # nobody at address 2
    assert fake_bar.wait_for_text("C003", timeout=2)
