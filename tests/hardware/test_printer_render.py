"""PNG rendering and the folder emulator: what a machine without a printer shows."""

from PIL import Image, ImageChops

from hardware.printer import (
    EmulatedPrinter, FolderPrinter, PaperStatus, TicketPrinter, checklist_bytes, render_png, ticket_bytes,
)
from hardware.printer.render import CELL, LINE, MARGIN


def _ink(image: Image.Image) -> int:
    """Number of non-white pixels."""
    return sum(image.convert("L").histogram()[:200])


def test_ticket_png_is_not_blank_and_has_the_paper_width(tmp_path, ticket):
    path = tmp_path / "ticket.png"
    image = render_png(ticket_bytes(ticket, 32), path, columns=32)
    assert path.read_bytes().startswith(b"\x89PNG")
    assert image.width == 32 * CELL + 2 * MARGIN  # 384 dots: 58 mm paper
    assert 18 * LINE < image.height < 40 * LINE  # ~18 text lines plus the QR code
    assert _ink(image) > 0.03 * image.width * image.height


def test_80mm_render_is_576_dots_wide(checklist):
    image = render_png(checklist_bytes(checklist, 48), columns=48)
    assert image.width == 48 * CELL + 2 * MARGIN


def test_chinese_is_drawn_with_real_glyphs():
    # Missing CJK glyphs would all draw the same box: 窗口 and 口窗 would match.
    def line(text: str) -> Image.Image:
        return render_png(b"\x1c&" + text.encode("gb18030") + b"\x1c.\n")

    assert _ink(line("窗口")) > _ink(render_png(b"\n")) + 50
    assert ImageChops.difference(line("窗口"), line("口窗")).getbbox() is not None


def test_qr_code_is_drawn(ticket):
    from dataclasses import replace
    with_qr = render_png(ticket_bytes(ticket))
    without = render_png(ticket_bytes(replace(ticket, qr_url=None)))
    assert with_qr.height > without.height + 100
    assert _ink(with_qr) > _ink(without) + 5000


def test_folder_printer_appends_each_printout_as_png_and_bin(tmp_path, ticket, checklist):
    folder = tmp_path / "prints"
    with TicketPrinter(FolderPrinter(folder, paper=PaperStatus.OK)) as printer:
        printer.print_ticket(ticket)
        printer.print_checklist(checklist)
    names = sorted(p.name for p in folder.iterdir())
    assert names == ["print-0001.bin", "print-0001.png", "print-0002.bin", "print-0002.png"]
    assert (folder / "print-0001.bin").read_bytes() == ticket_bytes(ticket)
    assert (folder / "print-0002.bin").read_bytes() == checklist_bytes(checklist)
    with Image.open(folder / "print-0002.png") as image:
        assert image.width == 32 * CELL + 2 * MARGIN
    # a second printer on the same folder continues the numbering
    FolderPrinter(folder)._raw(ticket_bytes(ticket))
    assert (folder / "print-0003.png").exists()


def test_folder_printer_waits_for_the_cut(tmp_path, ticket):
    device = FolderPrinter(tmp_path)
    data = ticket_bytes(ticket)
    device._raw(data[:40])
    assert list(tmp_path.iterdir()) == []
    device._raw(data[40:])
    assert (tmp_path / "print-0001.bin").read_bytes() == data


def test_rendering_twice_gives_the_same_image(ticket):
    first, second = render_png(ticket_bytes(ticket)), render_png(ticket_bytes(ticket))
    assert ImageChops.difference(first, second).getbbox() is None


def test_emulated_printer_draws_what_it_holds(tmp_path, ticket):
    device = EmulatedPrinter()
    TicketPrinter(device).print_ticket(ticket)
    image = device.render_png(tmp_path / "out.png")
    assert (tmp_path / "out.png").exists()
    assert ImageChops.difference(image, render_png(ticket_bytes(ticket))).getbbox() is None
