"""What a window bar (窗口条屏) shows, as data: state in, coloured runs out.

Pure: the signage node turns the call/pause/idle messages it receives into a
:class:`BarState` and sends ``text_frame(render_bar_text(state))``. Colour is
never the only cue: every state also reads differently.

- calling: ``A012 请到3号窗口`` (number red, the rest green)
- paused: ``张敏 暂停服务`` (name green, 暂停服务 yellow)
- idle (挂牌上岗): ``3号窗口 张敏 综合受理岗 欢迎办理``
"""

import enum
from dataclasses import dataclass

from ..errors import BarTextError
from .commands import Color, TextRun


class BarMode(enum.Enum):
    IDLE = "idle"
    CALLING = "calling"
    PAUSED = "paused"


@dataclass(frozen=True)
class BarState:
    """Everything one window bar needs to know."""

    window_label: str  # e.g. "3号窗口"
    mode: BarMode = BarMode.IDLE
    ticket_number: str | None = None  # required when calling
    staff_name: str = ""
    staff_post: str = ""  # post or staff number shown under 挂牌上岗
    idle_text: str = "欢迎办理"
    paused_text: str = "暂停服务"


def render_bar_text(state: BarState) -> list[TextRun]:
    """The coloured runs the bar shows for ``state``."""
    if state.mode is BarMode.CALLING:
        if not state.ticket_number:
            raise BarTextError(f"{state.window_label}: calling needs a ticket number")
        return [TextRun(state.ticket_number, Color.RED),
                TextRun(f" 请到{state.window_label}", Color.GREEN)]
    if state.mode is BarMode.PAUSED:
        who = state.staff_name or state.window_label
        return [TextRun(f"{who} ", Color.GREEN), TextRun(state.paused_text, Color.YELLOW)]
    staff = " ".join(part for part in (state.staff_name, state.staff_post) if part)
    runs = [TextRun(state.window_label, Color.YELLOW)]
    if staff:
        runs.append(TextRun(f" {staff}", Color.GREEN))
    if state.idle_text:
        runs.append(TextRun(f" {state.idle_text}", Color.GREEN))
    return runs


def plain_text(runs: list[TextRun]) -> str:
    """The runs without colour, e.g. for logs and screen readers."""
    return "".join(run.text for run in runs)
