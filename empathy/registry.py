"""Content hashes of experiment pre-registrations (seeds/experiment_registry.csv).

A registration is every column of its row except ``registration_hash``, in the seed's column order, each value
as written (empty for none), joined with the unit separator (0x1F) and hashed with MD5. The warehouse computes the
same hash in SQL (int_experiment_registrations_hashed) and compares it with the hash recorded at registration:
an edit to any registered field after the experiment started is then visible, never silently accepted.

    python -m empathy.registry seeds/experiment_registry.csv          # print each experiment's hash
    python -m empathy.registry seeds/experiment_registry.csv --record # fill in hashes that are still empty
"""
from __future__ import annotations

import argparse
import csv
import hashlib
from pathlib import Path
from typing import Mapping, Sequence

HASH_COLUMN = "registration_hash"
SEPARATOR = "\x1f"


def registered_fields(columns: Sequence[str]) -> list[str]:
    """The columns a registration's hash covers: all but the recorded hash, in seed order."""
    return [c for c in columns if c != HASH_COLUMN]


def registration_hash(row: Mapping[str, str | None], columns: Sequence[str]) -> str:
    """MD5 hex digest of the registered fields of one registry row (None and '' hash alike)."""
    text = SEPARATOR.join((row.get(c) or "") for c in registered_fields(columns))
    return hashlib.md5(text.encode("utf-8")).hexdigest()


def read_registry(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The registry's header and rows, as written."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def record_missing_hashes(path: Path) -> list[str]:
    """Fill in the hash of every row whose recorded hash is empty; return the experiments that got one. Rows that
    already carry a hash keep it, so an edited registration keeps showing its mismatch."""
    columns, rows = read_registry(path)
    if HASH_COLUMN not in columns:
        raise ValueError(f"{path}: no {HASH_COLUMN} column")
    recorded = []
    for row in rows:
        if not row.get(HASH_COLUMN):
            row[HASH_COLUMN] = registration_hash(row, columns)
            recorded.append(row["experiment_id"])
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return recorded


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("registry", type=Path)
    ap.add_argument("--record", action="store_true", help="write the hash of rows that have none yet")
    args = ap.parse_args(argv)
    if args.record:
        for exp in record_missing_hashes(args.registry):
            print(f"recorded {exp}")
    columns, rows = read_registry(args.registry)
    for row in rows:
        now = registration_hash(row, columns)
        state = "unchanged" if row.get(HASH_COLUMN) == now else "CHANGED" if row.get(HASH_COLUMN) else "not recorded"
        print(f"{row['experiment_id']}\t{now}\t{state}")


if __name__ == "__main__":
    main()
