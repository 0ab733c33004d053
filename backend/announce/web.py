"""The admin console for announcements (公告管理): list, create, withdraw.

Server-rendered, CSRF on every form (flask-wtf), every value autoescaped by
Jinja: announcement text is shown exactly as typed, never as markup.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, url_for
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, SelectChoice, SelectMultipleField, TextAreaField
from wtforms.widgets import CheckboxInput, ListWidget

from ..web.auth import login_required
from .model import MAX_TEXT, PRIORITY_LABELS, TARGET_LABELS, TARGETS, Draft, invisible_characters
from .schedule import split_by_phase
from .service import AnnouncementService, DraftError, service_for, utc_now

bp = Blueprint("announce_admin", __name__, url_prefix="/admin/announcements", template_folder="templates",
               static_folder="static")

DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
BAD_TIME = "请按 年-月-日 时:分 填写 (use YYYY-MM-DD HH:MM)"


def announcement_service() -> AnnouncementService:
    """The running backend's service, or one over the app's database and publisher (no timer)."""
    hall = current_app.extensions["hall"]
    service = service_for(hall.publisher)
    if service is None:
        clock = hall.executor.clock if hall.executor is not None else utc_now
        service = AnnouncementService(hall.settings, hall.engine, hall.publisher, clock)
    return service


def _hall_tz():
    return announcement_service().tz


class AnnouncementForm(FlaskForm):
    text = TextAreaField("公告内容 Text", render_kw={"maxlength": MAX_TEXT, "rows": 4})
    priority = RadioField("优先级 Priority", choices=[SelectChoice(p, label) for p, label in PRIORITY_LABELS.items()],
                          default="normal")
    targets = SelectMultipleField("显示屏幕 Screens", choices=[SelectChoice(t, TARGET_LABELS[t]) for t in TARGETS],
                                  default=list(TARGETS), widget=ListWidget(prefix_label=False),
                                  option_widget=CheckboxInput())
    start = DateTimeLocalField("开始 Start", format=DATETIME_FORMATS, tz=_hall_tz,
                               invalid_value_message=BAD_TIME)
    end = DateTimeLocalField("结束 End", format=DATETIME_FORMATS, tz=_hall_tz, invalid_value_message=BAD_TIME)

    def draft(self) -> Draft:
        return Draft(text=self.text.data or "", priority=self.priority.data or "",
                     targets=tuple(self.targets.data or ()), start=self.start.data, end=self.end.data)

    def show_errors(self, errors: dict[str, list[str]]) -> None:
        for name, messages in errors.items():
            getattr(self, name).errors = list(getattr(self, name).errors or ()) + messages


class WithdrawForm(FlaskForm):
    """Only the CSRF token."""


def _render_list(service: AnnouncementService):
    now = service.clock()
    groups = split_by_phase(service.list(now), now)
    return render_template("announce/list.html", groups=groups, now=now, local=service.local,
                           invisible=invisible_characters, withdraw_form=WithdrawForm(),
                           target_labels=TARGET_LABELS, priority_labels=PRIORITY_LABELS)


@bp.get("")
@login_required("admin")
def index():
    return _render_list(announcement_service())


@bp.route("/new", methods=["GET", "POST"])
@login_required("admin")
def new():
    service = announcement_service()
    form = AnnouncementForm()
    if not form.is_submitted():
        form.start.data, form.end.data = service.default_window()
    elif form.validate():
        try:
            service.create(form.draft(), g.user.username)
        except DraftError as exc:
            form.show_errors(exc.errors)
        else:
            flash("公告已保存 (announcement saved)")
            return redirect(url_for(".index"))
    return render_template("announce/new.html", form=form, max_text=MAX_TEXT), 200 if not form.errors else 400


@bp.post("/<notice_id>/withdraw")
@login_required("admin")
def withdraw(notice_id: str):
    if not WithdrawForm().validate_on_submit():
        abort(400)
    service = announcement_service()
    if service.get(notice_id) is None:
        abort(404)
    if service.withdraw(notice_id, g.user.username):
        flash("公告已撤回 (announcement withdrawn)")
    else:
        flash("该公告已撤回过 (already withdrawn)")
    return redirect(url_for(".index"))
