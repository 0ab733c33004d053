"""The web consoles (admin, counter) and the HTTP API: ``create_app``."""

from __future__ import annotations

import importlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.engine import Engine

from protocol import Topics

from ..core import RequestExecutor
from ..publisher import Publisher
from ..settings import BackendSettings

#: Blueprints, as "module:attribute". Add yours here.
BLUEPRINTS = (
    "backend.web.auth:bp",
    "backend.web.openapi:bp",   # /api/v1/openapi.json: every part's describe()
    # -- catalog (issue 3) --
    "backend.catalog.api:bp",
    "backend.catalog.admin:bp",
    # -- queue engine and counter console (issue 4) --
    "backend.queue.console:bp",
    "backend.queue.admin_web:bp",
    "backend.queue.ticket_page:bp",
    # -- announcements, device monitor --
    "backend.announce.web:bp",
    "backend.announce.api:bp",
    "backend.monitor.web:bp",
)

#: Where "/" sends a logged-in user, by role (endpoint names).
HOME_FOR_ROLE = {"admin": "catalog_admin.index", "staff": "counter.index"}

csrf = CSRFProtect()


@dataclass
class HallServices:
    """What views need, reachable as ``current_app.extensions["hall"]``."""

    settings: BackendSettings
    engine: Engine
    publisher: Publisher | None
    executor: RequestExecutor | None
    topics: Topics


def _secret_key(settings: BackendSettings) -> str:
    if settings.web.secret_key:
        return settings.web.secret_key
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(settings: BackendSettings, engine: Engine, publisher: Publisher | None = None,
               executor: RequestExecutor | None = None, test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=_secret_key(settings),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=settings.web.session_hours),
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        HOME_FOR_ROLE=HOME_FOR_ROLE,
    )
    app.json.ensure_ascii = False  # Chinese as is in the API, not \u-escaped
    if test_config:
        app.config.update(test_config)
    app.extensions["hall"] = HallServices(settings, engine, publisher, executor, Topics(settings.hall))
    csrf.init_app(app)
    for spec in BLUEPRINTS:
        module, _, attr = spec.partition(":")
        app.register_blueprint(getattr(importlib.import_module(module), attr))

    @app.after_request
    def security_headers(response):
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'")
        return response

    return app
