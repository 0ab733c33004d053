"""indexes that a new ticket and a new request extend at their end

A ticket's insert wrote a page of ``ix_tickets_done`` for every queue although only
finished tickets are ever looked up there (now a partial index on done tickets), and the
processed requests were keyed device first, so a batch of requests from twenty kiosks
wrote twenty pages of that index; keyed by the (time-ordered) request id first, they
share its last page.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 17:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_done')
        batch_op.create_index('ix_tickets_done', ['queue', 'finished_at'], unique=False,
                              sqlite_where=sa.text("state = 'done'"), postgresql_where=sa.text("state = 'done'"))
    with op.batch_alter_table('processed_requests', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_processed_requests', type_='primary')
        batch_op.create_primary_key('pk_processed_requests', ['request_id', 'device'])


def downgrade() -> None:
    with op.batch_alter_table('processed_requests', schema=None, recreate='always') as batch_op:
        batch_op.drop_constraint('pk_processed_requests', type_='primary')
        batch_op.create_primary_key('pk_processed_requests', ['device', 'request_id'])
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_done')
        batch_op.create_index('ix_tickets_done', ['queue', 'state', 'finished_at'], unique=False)
