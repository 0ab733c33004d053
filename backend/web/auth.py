"""Log in / log out, and ``login_required(*roles)`` for every console page."""

from __future__ import annotations

import functools

from flask import (Blueprint, abort, current_app, flash, g, redirect, render_template, request, session,
                   url_for)
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from .users import check_login, get_user

bp = Blueprint("auth", __name__)


class LoginForm(FlaskForm):
    username = StringField("用户名 Username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("密码 Password", validators=[DataRequired(), Length(max=200)])


@bp.before_app_request
def load_user() -> None:
    g.user = None
    username = session.get("user")
    if username:
        with current_app.extensions["hall"].engine.connect() as conn:
            g.user = get_user(conn, username)


def login_required(*roles: str):
    """Redirect to the login page when nobody is logged in; 403 for the wrong role."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            if g.get("user") is None:
                return redirect(url_for("auth.login", next=request.path))
            if roles and g.user.role not in roles:
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorate


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("auth.home")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        with current_app.extensions["hall"].engine.connect() as conn:
            user = check_login(conn, form.username.data, form.password.data)
        if user is None:
            form.password.errors.append("用户名或密码错误 (wrong username or password)")
        else:
            session.clear()
            session["user"] = user.username
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
    return render_template("login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    session.clear()
    flash("已退出 (logged out)")
    return redirect(url_for("auth.login"))


@bp.route("/")
def home():
    user = g.get("user")
    if user is None:
        return redirect(url_for("auth.login"))
    endpoint = current_app.config["HOME_FOR_ROLE"].get(user.role)
    if endpoint and endpoint in current_app.view_functions:
        return redirect(url_for(endpoint))
    return render_template("home.html")
