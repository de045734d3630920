"""certificate job heartbeat (a silent running job lost its process); lesson reviewed again (refresher)

Revision ID: a1c3e5f7b901
Revises: 3745929fa917
Create Date: 2026-11-23 02:40:00
"""
from alembic import op
import sqlalchemy as sa

import app.core.db

revision = 'a1c3e5f7b901'
down_revision = '3745929fa917'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('heartbeat_at', app.core.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reviewed_at', app.core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('lesson_progress', schema=None) as batch_op:
        batch_op.drop_column('reviewed_at')
    with op.batch_alter_table('certificate_jobs', schema=None) as batch_op:
        batch_op.drop_column('heartbeat_at')
