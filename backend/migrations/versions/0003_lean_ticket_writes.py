"""ix_tickets_target: only the tickets transferred to a window

The index is looked up only for tickets transferred to a window, but every ticket had an
entry in it (with a NULL target), written when the ticket was issued and moved with each
change of its state: a page of the WAL in every commit.  Now a partial index of the
tickets that have a target (a lone ticket's commit: 12.8 -> 11.8 pages).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 20:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_target')
        batch_op.create_index('ix_tickets_target', ['target_window', 'state'], unique=False,
                              sqlite_where=sa.text("target_window IS NOT NULL"),
                              postgresql_where=sa.text("target_window IS NOT NULL"))


def downgrade() -> None:
    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_tickets_target')
        batch_op.create_index('ix_tickets_target', ['target_window', 'state'], unique=False)
