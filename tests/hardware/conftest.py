"""Fixtures for the driver tests: sample slips and gpiozero's mock pins."""

import pytest

from hardware.printer import ChecklistSlip, MaterialLine, TicketSlip


@pytest.fixture
def ticket() -> TicketSlip:
    return TicketSlip(
        hall_name="临安区行政服务中心", number="A012", item_name="个体工商户设立登记",
        queue_name="商事登记", ahead=5, wait_text="约15分钟", windows=("3号窗口", "5号窗口"),
        issued_at="2024-05-06 09:12", qr_url="https://hall.example.cn/q/A012",
        notice="过号请重新取号。")


@pytest.fixture
def checklist() -> ChecklistSlip:
    return ChecklistSlip(
        hall_name="临安区行政服务中心", item_name="个体工商户设立登记",
        department="区市场监督管理局", kind="即办件",
        materials=(
            MaterialLine("个体工商户登记（备案）申请书", "原件", 1, True,
                         "可在大厅免费领取，或在网上下载打印，须经营者本人签字。"),
            MaterialLine("经营者身份证", "原件及复印件", 1, True, ""),
            MaterialLine("经营场所使用证明（房产证或租赁合同）", "复印件", 2, False,
                         "自有房产提供房产证；租赁的提供租赁合同。"),
        ),
        conditions=("经营者为有经营能力的自然人", "经营范围不属于国家禁止的行业"),
        statutory_days=15, promised_days=0, fees="不收费（工本费￥0元）",
        windows=("3号窗口", "综合受理窗口"), consult_phone="0571-61234567",
        supervise_phone="12345", printed_at="2024-05-06 09:15")
