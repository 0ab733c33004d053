"""The queue engine's tables: tickets, the daily counters, windows, the audit log, calls,
appointments, evaluations and their follow-up, queue suspensions, active alerts.

Times are stored as UTC (naive in the column, aware in Python: :class:`UtcDateTime`),
days as the hall's local calendar day.
"""

from __future__ import annotations


import sqlalchemy as sa

from backend.db import UtcDateTime, metadata


Id = sa.String(64)
#: The waiting states (domain.WAITING_STATES) as SQL, for the partial index and the queries using it.
WAITING_SQL = "state IN ('transferred', 'waiting')"

#: Per queue and local day: the last number given out (incremented in the same
#: transaction as the ticket insert, so numbers are never repeated or skipped) and
#: how many tickets wait in that line (kept by store.py with every change, so the
#: published counts cost one row read however long the line is).
queue_counters = sa.Table(
    "queue_counters", metadata,
    sa.Column("queue", Id, primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("last_seq", sa.Integer, nullable=False),
    sa.Column("waiting", sa.Integer, nullable=False, server_default="0"),
    sa.Column("waiting_priority", sa.Integer, nullable=False, server_default="0"),
    sa.CheckConstraint("waiting >= waiting_priority AND waiting_priority >= 0", name="waiting_counts"),
)

tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("origin_queue", Id, nullable=False),
    sa.Column("seq", sa.Integer, nullable=False),
    sa.Column("number", sa.String(8), nullable=False),
    sa.Column("queue", Id, nullable=False),
    sa.Column("item", Id, nullable=True),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("priority_class", sa.SmallInteger, nullable=False),  # 0 priority, 1 ordinary
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("window", Id, nullable=True),
    sa.Column("target_window", Id, nullable=True),
    sa.Column("place_at", UtcDateTime, nullable=False),
    sa.Column("issued_at", UtcDateTime, nullable=False),
    sa.Column("called_at", UtcDateTime, nullable=True),
    sa.Column("started_at", UtcDateTime, nullable=True),
    sa.Column("finished_at", UtcDateTime, nullable=True),
    sa.Column("recalls", sa.Integer, nullable=False, default=0),
    sa.Column("appointment", sa.String(32), nullable=True),
    sa.Column("staff", Id, nullable=False, default=""),
    sa.UniqueConstraint("origin_queue", "day", "seq", name="uq_tickets_number"),
    # the lines: only waiting tickets, in call order (store.py spells the same condition as a literal,
    # so SQLite sees that this partial index applies)
    sa.Index("ix_tickets_waiting", "queue", "day", "priority_class", "place_at", "seq",
             sqlite_where=sa.text(WAITING_SQL), postgresql_where=sa.text(WAITING_SQL)),
    sa.Index("ix_tickets_state", "state", "day"),
    # tickets transferred to a window (only those: an ordinary ticket's writes do not touch it)
    sa.Index("ix_tickets_target", "target_window", "state", sqlite_where=sa.text("target_window IS NOT NULL"),
             postgresql_where=sa.text("target_window IS NOT NULL")),
    sa.Index("ix_tickets_number", "number", "day"),
    # the recent service times (store.py: state = 'done' literally, so SQLite sees that it applies)
    sa.Index("ix_tickets_done", "queue", "finished_at", sqlite_where=sa.text("state = 'done'"),
             postgresql_where=sa.text("state = 'done'")),
)

window_runtime = sa.Table(
    "window_runtime", metadata,
    sa.Column("window", Id, primary_key=True),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("staff", Id, nullable=False, default=""),
    sa.Column("staff_name", sa.String(40), nullable=False, default=""),
    sa.Column("staff_post", sa.String(40), nullable=False, default=""),
    sa.Column("ticket", sa.String(32), nullable=True, unique=True),
    sa.Column("streak", sa.Integer, nullable=False, default=0),
    sa.Column("awaiting_evaluation", sa.String(32), nullable=True),
    sa.Column("day", sa.Date, nullable=True),
    sa.Column("updated_at", UtcDateTime, nullable=True),
)

#: Every ticket transition: who, where, why.
ticket_audit = sa.Table(
    "ticket_audit", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket", sa.String(32), nullable=False, index=True),
    sa.Column("number", sa.String(8), nullable=False),
    sa.Column("from_state", sa.String(16), nullable=True),
    sa.Column("to_state", sa.String(16), nullable=False),
    sa.Column("window", Id, nullable=True),
    sa.Column("staff", Id, nullable=False, default=""),
    sa.Column("reason", sa.String(300), nullable=False, default=""),
    sa.Column("actor", Id, nullable=False, default=""),
    sa.Column("at", UtcDateTime, nullable=False),
)

window_events = sa.Table(
    "window_events", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("window", Id, nullable=False, index=True),
    sa.Column("from_status", sa.String(8), nullable=False),
    sa.Column("to_status", sa.String(8), nullable=False),
    sa.Column("staff", Id, nullable=False, default=""),
    sa.Column("reason", sa.String(300), nullable=False, default=""),
    sa.Column("at", UtcDateTime, nullable=False),
)

calls = sa.Table(
    "calls", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("event_id", sa.String(64), nullable=False, unique=True),
    sa.Column("ticket", sa.String(32), nullable=False),
    sa.Column("number", sa.String(8), nullable=False),
    sa.Column("queue", Id, nullable=False),
    sa.Column("window", Id, nullable=False),
    sa.Column("kind", sa.String(8), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Index("ix_calls_queue", "queue", "day", "kind", "id"),
    sa.Index("ix_calls_day", "day", "id"),
)

appointments = sa.Table(
    "appointments", metadata,
    sa.Column("code", sa.String(32), primary_key=True),
    sa.Column("queue", Id, nullable=False),
    sa.Column("item", Id, nullable=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("checked_in_at", UtcDateTime, nullable=True),
    sa.Column("ticket", sa.String(32), nullable=True),
)

#: One rating per ticket (UNIQUE): 好差评 一次一评.
evaluations = sa.Table(
    "evaluations", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("ticket", sa.String(32), nullable=False, unique=True),
    sa.Column("number", sa.String(8), nullable=False),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("queue", Id, nullable=False),
    sa.Column("item", Id, nullable=True),
    sa.Column("window", Id, nullable=False),
    sa.Column("staff", Id, nullable=False, default=""),
    sa.Column("level", sa.SmallInteger, nullable=False),
    sa.Column("reasons", sa.String(300), nullable=False, default=""),  # "、"-joined
    sa.Column("comment", sa.String(500), nullable=False, default=""),
    sa.Column("channel", Id, nullable=False, default=""),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("followup_status", sa.String(8), nullable=False, default=""),
    sa.Column("followup_at", UtcDateTime, nullable=True),
    sa.CheckConstraint("level BETWEEN 1 AND 5", name="level_range"),
    sa.Index("ix_evaluations_followup", "followup_status", "at"),
)

#: The follow-up history of poor ratings (回访, 整改).
evaluation_followups = sa.Table(
    "evaluation_followups", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("evaluation", sa.String(32), sa.ForeignKey("evaluations.id"), nullable=False, index=True),
    sa.Column("status", sa.String(8), nullable=False),
    sa.Column("note", sa.String(1000), nullable=False, default=""),
    sa.Column("by", Id, nullable=False, default=""),
    sa.Column("at", UtcDateTime, nullable=False),
)

#: Queues an administrator suspended (暂停取号).
queue_suspensions = sa.Table(
    "queue_suspensions", metadata,
    sa.Column("queue", Id, primary_key=True),
    sa.Column("reason", sa.String(200), nullable=False, default=""),
    sa.Column("since", UtcDateTime, nullable=False),
)

#: Early warnings currently raised, so each is published once and cleared once.
active_alerts = sa.Table(
    "active_alerts", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("payload", sa.Text, nullable=False),
)

#: Small engine facts, e.g. the local day the engine last rolled over to.
queue_meta = sa.Table(
    "queue_meta", metadata,
    sa.Column("key", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
