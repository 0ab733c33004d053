"""Errors of the contract, each with a stable code that replies carry."""

from __future__ import annotations

from hallcore.errors import HallError

#: Stable error codes a reply may carry, with the Chinese line a visitor reads.
ERROR_CODES: dict[str, str] = {
    "invalid_request": "请求格式有误，请重试或联系工作人员",
    "unsupported_version": "设备软件版本与服务器不一致，请联系工作人员",
    "unknown_type": "不支持的操作",
    "not_permitted": "本设备无权执行此操作",
    "unknown_device": "设备未登记，请联系管理员",
    "unknown_item": "未找到该事项",
    "unknown_queue": "未找到该业务队列",
    "unknown_window": "未找到该窗口",
    "unknown_ticket": "未找到该号码",
    "unknown_appointment": "未找到该预约，请核对预约码",
    "appointment_not_today": "该预约不是今天的，请核对预约日期",
    "already_checked_in": "该预约已签到",
    "queue_closed": "该业务暂停取号",
    "quota_exhausted": "今日该业务号已取完，请明天再来或网上办理",
    "outside_hours": "当前不在取号时间内",
    "nothing_waiting": "当前没有等候的号码",
    "window_paused": "窗口已暂停服务",
    "window_closed": "窗口未开放",
    "invalid_state": "当前状态下不能执行此操作",
    "reason_required": "此操作需要填写原因",
    "already_evaluated": "该业务已评价",
    "nothing_to_evaluate": "当前没有可评价的业务",
    "payload_too_large": "内容过长",
    "internal_error": "系统繁忙，请稍后再试或联系工作人员",
    "timeout": "服务器无响应，请稍后再试",
}


class ProtocolError(HallError, ValueError):
    """A message that breaks the contract, or a request the backend refuses.

    ``code`` is one of :data:`ERROR_CODES`; ``message`` is English for the log;
    ``message_zh`` is what a visitor or window clerk reads.
    """

    def __init__(self, code: str, message: str, message_zh: str | None = None):
        if code not in ERROR_CODES:
            raise ValueError(f"unknown error code {code!r}")
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.message_zh = message_zh or ERROR_CODES[code]


class PayloadTooLarge(ProtocolError):
    """A payload over the broker's maximum packet size: it is never sent."""

    def __init__(self, size: int, limit: int, topic: str):
        super().__init__(
            "payload_too_large",
            f"payload of {size} bytes for {topic} exceeds the {limit}-byte limit; "
            "shorten it or raise max_packet_size in the broker settings",
        )
        self.size = size
        self.limit = limit
