"""devices.language: empty means the device's own setting

The registry's language column had the default "zh" and no way to set it, so every device's
config said "zh" and a kiosk set to English locally would have been turned back to Chinese by
it.  Now "" (unset) is the default and every "zh" so far becomes "" (none was chosen);
`hall device set ID --language en` chooses one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 22:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), existing_nullable=False,
                              server_default='')
    op.execute("UPDATE devices SET language = '' WHERE language = 'zh'")


def downgrade() -> None:
    op.execute("UPDATE devices SET language = 'zh' WHERE language = ''")
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.alter_column('language', existing_type=sa.String(length=8), existing_nullable=False,
                              server_default='zh')
