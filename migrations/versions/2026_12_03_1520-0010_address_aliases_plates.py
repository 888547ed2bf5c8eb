"""address aliases, village addresses, random plate codes

- ``place_alias``: other names of regions as addresses write them (functional zones such as
  南太湖新区, former town names such as 武康镇), reference data owned by the parent node. The
  shipped rows are loaded at start with the rest of the reference data.
- ``address.village`` / ``address.village_group``: village addresses (西山村3组12号), whose
  place is the village and its group rather than a road or compound.
- Plate codes become 20 characters (100 random bits) instead of 10 characters derived from the
  sequential address code, which let anyone enumerate the open plate page. Every existing
  plate is re-issued, and the change-log snapshots of addresses carry the new code so that
  the sync feed serves what the register holds. (A parent node that already replicates
  addresses re-issues its copies with its own migration; the origin's codes replace them with
  the next change of each address.) The downgrade goes back to 10-character hashed codes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 15:20:00.000000
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NEW_LENGTH = 20
OLD_LENGTH = 10
BATCH = 5000

# A batch rebuild of ``address`` on SQLite drops the triggers that keep the FTS5 table in step
# (revision 0005); they are created again after it. The FTS rows survive: ids do not change.
_SQLITE_FTS_TRIGGERS = (
    "DROP TRIGGER IF EXISTS address_fts_insert",
    "DROP TRIGGER IF EXISTS address_fts_update",
    "DROP TRIGGER IF EXISTS address_fts_delete",
    """CREATE TRIGGER address_fts_insert AFTER INSERT ON address BEGIN
        INSERT INTO address_fts (search_text, address_id) VALUES (new.search_text, new.id);
    END""",
    """CREATE TRIGGER address_fts_update AFTER UPDATE OF search_text ON address
    WHEN old.search_text IS NOT new.search_text BEGIN
        DELETE FROM address_fts WHERE address_id = old.id;
        INSERT INTO address_fts (search_text, address_id) VALUES (new.search_text, new.id);
    END""",
    """CREATE TRIGGER address_fts_delete AFTER DELETE ON address BEGIN
        DELETE FROM address_fts WHERE address_id = old.id;
    END""",
)


def _dialect() -> str:
    return op.get_bind().dialect.name


def _spell(number: int, length: int) -> str:
    return "".join(ALPHABET[(number >> (5 * i)) & 31] for i in reversed(range(length)))


def _random_plate(_code: str, taken: set[str]) -> str:
    while True:
        plate = _spell(secrets.randbits(5 * NEW_LENGTH), NEW_LENGTH)
        if plate not in taken:
            return plate


def _hashed_plate(code: str, taken: set[str]) -> str:
    """The plate of revisions before this one: the first 50 bits of SHA-256 over
    ``plate:{address_code}:{n}``, ``n`` the first attempt not taken."""
    for attempt in range(64):
        digest = hashlib.sha256(f"plate:{code}:{attempt}".encode()).digest()
        plate = _spell(int.from_bytes(digest[:8], "big") >> (64 - 5 * OLD_LENGTH), OLD_LENGTH)
        if plate not in taken:
            return plate
    raise RuntimeError(f"no free plate code for {code}")


def _reissue(make: Callable[[str, set[str]], str]) -> None:
    """Give every address (tombstones too: codes are never reused) a new plate, and write it
    into the address's change-log snapshots."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, address_code FROM address ORDER BY address_code")).all()
    taken: set[str] = set()
    updates: list[dict[str, object]] = []
    for record_id, code in rows:
        plate = make(code, taken)
        taken.add(plate)
        updates.append({"id": record_id, "plate": plate})
    # Old and new codes differ in length, so no new code can clash with an old one.
    for start in range(0, len(updates), BATCH):
        bind.execute(
            sa.text("UPDATE address SET plate_code = :plate WHERE id = :id"), updates[start : start + BATCH]
        )
    if _dialect() == "postgresql":
        bind.execute(
            sa.text(
                "UPDATE change_log c SET snapshot = jsonb_set(c.snapshot, '{plate_code}', "
                "to_jsonb(a.plate_code)) FROM address a "
                "WHERE c.entity = 'address' AND c.record_id = a.id AND c.snapshot ? 'plate_code'"
            )
        )
        return
    plates = {str(u["id"]).replace("-", ""): u["plate"] for u in updates}
    logged = bind.execute(
        sa.text("SELECT seq, record_id, snapshot FROM change_log WHERE entity = 'address'")
    ).all()
    changed = []
    for seq, record_id, snapshot in logged:
        data = json.loads(snapshot) if isinstance(snapshot, str) else dict(snapshot)
        key = str(record_id).replace("-", "")
        if key in plates and "plate_code" in data:
            data["plate_code"] = plates[key]
            changed.append({"seq": seq, "snapshot": json.dumps(data, ensure_ascii=False)})
    for start in range(0, len(changed), BATCH):
        bind.execute(
            sa.text("UPDATE change_log SET snapshot = :snapshot WHERE seq = :seq"),
            changed[start : start + BATCH],
        )


def upgrade() -> None:
    op.create_table(
        "place_alias",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("origin", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_place_alias")),
    )
    op.create_index(op.f("ix_place_alias_region_code"), "place_alias", ["region_code"], unique=False)
    op.create_index(
        "uq_place_alias_name",
        "place_alias",
        ["name"],
        unique=True,
        postgresql_where=sa.text("deleted_at IS NULL"),
        sqlite_where=sa.text("deleted_at IS NULL"),
    )
    _plate_length(OLD_LENGTH, NEW_LENGTH, add_village=True)
    _reissue(_random_plate)


def _plate_length(old: int, new: int, *, add_village: bool) -> None:
    """Widen or narrow ``plate_code``, adding or dropping the village columns (in one rebuild
    of the table on SQLite, whose column types cannot be altered in place)."""
    columns = (
        sa.Column("village", sa.String(length=50), nullable=False, server_default=""),
        sa.Column("village_group", sa.String(length=20), nullable=False, server_default=""),
    )
    if _dialect() == "postgresql":
        for column in columns if add_village else ():
            op.add_column("address", column)
        for column in () if add_village else columns:
            op.drop_column("address", column.name)
        op.alter_column(
            "address",
            "plate_code",
            type_=sa.String(length=new),
            existing_type=sa.String(length=old),
            existing_nullable=False,
        )
        return
    with op.batch_alter_table("address", recreate="always") as batch:
        for column in columns:
            if add_village:
                batch.add_column(column)
            else:
                batch.drop_column(column.name)
        batch.alter_column(
            "plate_code",
            type_=sa.String(length=new),
            existing_type=sa.String(length=old),
            existing_nullable=False,
        )
    for statement in _SQLITE_FTS_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    _reissue(_hashed_plate)
    _plate_length(NEW_LENGTH, OLD_LENGTH, add_village=False)
    op.drop_index("uq_place_alias_name", table_name="place_alias")
    op.drop_index(op.f("ix_place_alias_region_code"), table_name="place_alias")
    op.drop_table("place_alias")
