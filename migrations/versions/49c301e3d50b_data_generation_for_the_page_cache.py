"""data generation for the page cache

Revision ID: 49c301e3d50b
Revises: ed983a9ab280
Create Date: 2026-11-23 11:58:31.889591

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49c301e3d50b'
down_revision = 'ed983a9ab280'
branch_labels = None
depends_on = None


def upgrade():
    # One row, changed by every transaction that writes (app/core/page_cache.py).
    table = op.create_table('data_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_generation'))
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade():
    op.drop_table('data_generation')
