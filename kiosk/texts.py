"""Every line the kiosk shows, in Chinese and English (the catalog itself stays Chinese).

:func:`tr` looks a key up for a language and fills ``{placeholders}``; a
missing English line falls back to the Chinese one.
"""

from __future__ import annotations

from protocol.errors import ERROR_CODES

TEXTS: dict[str, tuple[str, str]] = {
    # chrome
    "app.title": ("政务服务中心", "Government Service Center"),
    "lang.toggle": ("English", "中文"),
    "elderly.enter": ("长者模式", "Senior mode"),
    "elderly.exit": ("退出长者模式", "Exit senior mode"),
    "elderly.title": ("点击要办的事即可取号（长者优先）", "Tap a service to take a number (seniors first)"),
    "back": ("返回", "Back"),
    "home": ("首页", "Home"),
    "done": ("完成", "Done"),
    # home
    "home.search": ("查找事项 · 办事指南", "Find a service · guide"),
    "home.search_hint": ("输入拼音首字母，如 YYZZ = 营业执照", "Type pinyin initials, e.g. YYZZ = 营业执照"),
    "home.checkin": ("预约签到", "Appointment check-in"),
    "home.popular": ("常办事项 · 点击取号", "Popular services · tap to take a number"),
    "home.departments": ("按部门查找", "By department"),
    "home.no_catalog": ("正在获取事项目录，请稍候…", "Loading the list of services…"),
    "home.waiting": ("等候 {n} 人", "{n} waiting"),
    # search
    "search.title": ("查找事项", "Find a service"),
    "search.placeholder": ("请输入拼音首字母或事项编码", "Type pinyin initials or an item code"),
    "search.clear": ("清空", "Clear"),
    "search.delete": ("删除", "Delete"),
    "search.none": ("没有找到相关事项，请换个写法或到咨询台询问", "Nothing found: try other letters or ask at the desk"),
    "search.count": ("找到 {n} 项", "{n} found"),
    "search.all_departments": ("全部部门", "All departments"),
    # guide
    "guide.kind": ("事项类型", "Kind"),
    "guide.code": ("事项编码", "Item code"),
    "guide.department": ("实施主体", "Department"),
    "guide.conditions": ("办理条件", "Conditions"),
    "guide.materials": ("申请材料", "Materials"),
    "guide.steps": ("办理程序", "Procedure"),
    "guide.limits": ("办理时限", "Time limits"),
    "guide.statutory": ("法定时限：{days}个工作日", "Statutory: {days} working days"),
    "guide.statutory_none": ("法定时限：无", "Statutory: none"),
    "guide.promised": ("承诺时限：{days}个工作日", "Promised: {days} working days"),
    "guide.on_the_spot": ("承诺时限：当场办结", "Promised: done on the spot"),
    "guide.fees": ("收费标准", "Fees"),
    "guide.free": ("免费（不收费）", "Free of charge"),
    "guide.windows": ("办理窗口", "Windows"),
    "guide.phones": ("咨询与监督电话", "Phones"),
    "guide.consult": ("咨询电话：{phone}", "Enquiries: {phone}"),
    "guide.supervise": ("监督电话：{phone}", "Complaints: {phone}"),
    "guide.location": ("办理地点", "Location"),
    "guide.hours": ("办理时间", "Hours"),
    "guide.legal": ("办理依据", "Legal basis"),
    "guide.online": ("网上办理", "Online"),
    "guide.forms": ("申请表格", "Forms"),
    "guide.notes": ("备注", "Notes"),
    "guide.none": ("无", "None"),
    "guide.print": ("打印一次性告知单", "Print the checklist"),
    "guide.take": ("取号", "Take a number"),
    "guide.printing": ("正在打印…", "Printing…"),
    "guide.printed": ("一次性告知单已打印，请在出纸口取走", "Checklist printed: please take it from the slot"),
    "guide.print_failed": ("打印失败。{help}", "Printing failed. {help}"),
    "guide.missing": ("该事项已不在目录中", "This service is no longer listed"),
    "material.line": ("{form}，{copies}份，{need}", "{form} ×{copies}, {need}"),
    "material.mandatory": ("必交", "required"),
    "material.optional": ("选交", "optional"),
    # ticket
    "ticket.sending": ("正在取号，请稍候…", "Taking a number…"),
    "ticket.your_number": ("您的号码", "Your number"),
    "ticket.ahead": ("前面还有 {n} 人", "{n} ahead of you"),
    "ticket.wait": ("预计等候约 {m} 分钟", "Estimated wait about {m} min"),
    "ticket.wait_unknown": ("暂无法估计等候时间", "Wait cannot be estimated yet"),
    "ticket.windows": ("请留意叫号，到 {w} 办理", "Listen for your number, then go to {w}"),
    "ticket.printed": ("号票已打印，请取走号票", "Your ticket is printed: please take it"),
    "ticket.not_printed": ("号票未能打印，请记下您的号码。{help}", "The ticket could not be printed: note your number. {help}"),
    "ticket.retry": ("重试", "Try again"),
    "ticket.failed": ("未能取号", "No number issued"),
    "window.number": ("{n}号窗口", "window {n}"),
    # check-in
    "checkin.title": ("预约签到", "Appointment check-in"),
    "checkin.prompt": ("请输入预约码", "Enter your appointment code"),
    "checkin.submit": ("签到取号", "Check in"),
    "checkin.too_short": ("预约码至少 4 位", "The code has at least 4 digits"),
    # availability
    "off.offline": ("网络中断，暂时不能取号；办事指南仍可查看。{help}", "Network down: numbers cannot be issued now; guides still work. {help}"),
    "off.backend": ("服务器暂时无响应，请稍后再试。{help}", "The server is not answering; please try again shortly. {help}"),
    "off.paper": ("取号机打印纸已用完，暂时不能取号。{help}", "This kiosk is out of paper. {help}"),
    "off.short": ("暂不能取号", "Not available now"),
    "off.queue": ("该业务暂停取号", "Not issuing numbers for this service now"),
    "off.no_queue": ("该事项未设置排队业务", "This service has no queue"),
    "paper.near_end": ("打印纸即将用完", "Paper is running low"),
    "help.prefix": ("如需帮助：", "Help: "),
}

#: English lines for the error codes a reply may carry (Chinese comes from protocol.errors).
ERRORS_EN: dict[str, str] = {
    "queue_closed": "This service is not issuing numbers now",
    "quota_exhausted": "Today's numbers for this service are all taken; come back tomorrow or apply online",
    "outside_hours": "Numbers are issued only during opening hours",
    "unknown_item": "This service was not found",
    "unknown_queue": "This queue was not found",
    "unknown_appointment": "No appointment with this code: please check it",
    "appointment_not_today": "This appointment is not for today",
    "already_checked_in": "This appointment is already checked in",
    "timeout": "The server did not answer; please try again",
    "not_permitted": "This kiosk may not do that",
    "internal_error": "The system is busy; please try again or ask the staff",
    "paper_out": "This kiosk is out of paper",
    "offline": "Network down: numbers cannot be issued now",
}


def tr(key: str, lang: str = "zh", **values) -> str:
    zh, en = TEXTS[key]
    text = en if lang == "en" and en else zh
    return text.format(**values) if values else text


def error_text(code: str, lang: str, message_zh: str = "") -> str:
    """What the visitor reads for a failed request (the backend's Chinese line wins)."""
    if lang == "en" and code in ERRORS_EN:
        return ERRORS_EN[code]
    return message_zh or ERROR_CODES.get(code) or ERROR_CODES["internal_error"]
