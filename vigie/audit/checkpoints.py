"""Signed checkpoints of the journal's head, kept outside the database.

A hash chain shows any entry altered, removed or moved, but not entries cut from its
end: the shortened chain is still a valid chain. A checkpoint records, at some moment,
how many entries the journal had, the id of the last one and its hash, signed with a
key that lives in the data directory, not in the database. Checkpoints are appended
as JSON lines to one file per month in the checkpoint directory; `vigie audit verify`
checks each signature and that the chain still passes through every checkpoint.

The signature is Ed25519 (``cryptography``): the private key signs, and its public
half (``<key file>.pub``) is enough to verify, so an auditor needs no secret.
See docs/journal.md.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from django.conf import settings
from django.db.models import Count, Max
from django.utils import timezone

from vigie.audit.models import JournalEntry
from vigie.audit.services import GENESIS

ALG = "ed25519"
VERSION = 1
# Binds a signature to its purpose: the key signs nothing else, but say so anyway.
_DOMAIN = b"vigie-journal-checkpoint\n"
_KEY_BYTES = 32


class CheckpointError(Exception):
    """Checkpoints cannot be read or written (no key, unreadable file, broken line)."""


class CheckpointRefused(CheckpointError):
    """The journal no longer matches the newest checkpoint: signing its head would
    endorse the damage."""


def default_directory() -> Path:
    configured = getattr(settings, "VIGIE_JOURNAL_CHECKPOINT_DIR", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "journal-checkpoints"


def default_key_file() -> Path:
    configured = getattr(settings, "VIGIE_JOURNAL_KEY_FILE", None)
    return Path(configured) if configured else Path(settings.DATA_DIR) / "journal-checkpoint.key"


@dataclass(frozen=True)
class Key:
    """An Ed25519 key: with its private half it signs, with its public half only it
    verifies (what an auditor gets)."""

    public: bytes
    secret: bytes | None = field(default=None, repr=False)

    @classmethod
    def from_secret(cls, secret: bytes) -> Key:
        private = Ed25519PrivateKey.from_private_bytes(secret)
        return cls(private.public_key().public_bytes_raw(), secret)

    @property
    def id(self) -> str:
        """Names the key in each checkpoint, so a wrong key is told from a forgery."""
        return hashlib.sha256(self.public).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        if self.secret is None:
            raise CheckpointError("this is a public key: it verifies, it cannot sign")
        return Ed25519PrivateKey.from_private_bytes(self.secret).sign(_DOMAIN + message).hex()

    def verify(self, message: bytes, signature: str) -> bool:
        try:
            key = Ed25519PublicKey.from_public_bytes(self.public)
            key.verify(bytes.fromhex(signature), _DOMAIN + message)
        except (InvalidSignature, ValueError):
            return False
        return True


def public_key_file(key_file: Path) -> Path:
    return key_file.with_name(key_file.name + ".pub")


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two writers starting at once must not each make their own key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    key = Key.from_secret(secrets.token_bytes(_KEY_BYTES))
    assert key.secret is not None
    with os.fdopen(fd, "w") as f:
        f.write(key.secret.hex() + "\n")
    public_key_file(path).write_text(key.public.hex() + "\n")


def load_key(path: Path | None = None, *, create: bool = False) -> Key:
    """The key in ``path`` (private, hex); a ``.pub`` file gives a key that only
    verifies. With ``create``, a new random key (mode 0600, and its ``.pub``) if
    there is none."""
    path = path or default_key_file()
    if create and not path.exists():
        _create(path)
    try:
        raw = bytes.fromhex(path.read_text().strip())
    except FileNotFoundError as exc:
        raise CheckpointError(f"no checkpoint key at {path}") from exc
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"cannot read the checkpoint key {path}: {exc}") from exc
    if len(raw) != _KEY_BYTES:
        raise CheckpointError(f"the checkpoint key {path} is not {_KEY_BYTES} bytes of hex")
    return Key(public=raw) if path.suffix == ".pub" else Key.from_secret(raw)


@dataclass(frozen=True)
class Checkpoint:
    count: int
    last_id: int | None
    head: str
    at: str
    alg: str = ALG
    key_id: str = ""
    sig: str = ""
    # Where it was read ("journal-2026-11.jsonl:12"), for messages; not signed.
    where: str = field(default="", compare=False)

    def signed_part(self) -> dict[str, Any]:
        return {
            "v": VERSION,
            "count": self.count,
            "last_id": self.last_id,
            "head": self.head,
            "at": self.at,
            "alg": self.alg,
            "key": self.key_id,
        }

    def message(self) -> bytes:
        return json.dumps(self.signed_part(), sort_keys=True, separators=(",", ":")).encode()

    def line(self) -> str:
        return json.dumps({**self.signed_part(), "sig": self.sig}, sort_keys=True)

    def as_dict(self) -> dict[str, Any]:
        return {**self.signed_part(), "sig": self.sig, "where": self.where}


def parse(text: str, where: str) -> Checkpoint:
    try:
        data = json.loads(text)
        if data.get("v") != VERSION:
            raise ValueError(f"unknown version {data.get('v')!r}")
        last_id = data["last_id"]
        checkpoint = Checkpoint(
            count=int(data["count"]),
            last_id=None if last_id is None else int(last_id),
            head=str(data["head"]),
            at=str(data["at"]),
            alg=str(data["alg"]),
            key_id=str(data["key"]),
            sig=str(data["sig"]),
            where=where,
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(f"checkpoint {where}: not a checkpoint ({exc})") from exc
    if checkpoint.count < 0 or (checkpoint.last_id is None) != (checkpoint.count == 0):
        raise CheckpointError(f"checkpoint {where}: count and last id do not agree")
    return checkpoint


def files(directory: Path) -> list[Path]:
    # One file per month, named so that name order is time order.
    return sorted(directory.glob("journal-*.jsonl")) if directory.is_dir() else []


def _read_file(path: Path) -> Iterator[Checkpoint]:
    try:
        with path.open(encoding="utf-8") as f:
            for number, text in enumerate(f, 1):
                if text.strip():
                    yield parse(text, f"{path.name}:{number}")
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc}") from exc


def read(directory: Path) -> Iterator[Checkpoint]:
    """Every checkpoint, oldest first, streamed (raises CheckpointError on a bad line)."""
    for path in files(directory):
        yield from _read_file(path)


def newest(directory: Path) -> Checkpoint | None:
    last = None
    for path in reversed(files(directory)):
        for checkpoint in _read_file(path):
            last = checkpoint
        if last is not None:
            return last
    return None


def current_head() -> tuple[int, int | None, str]:
    """Count, last id and head hash of the journal, from one consistent read."""
    # One statement, so that count and last id come from the same snapshot.
    agg = JournalEntry.objects.aggregate(count=Count("id"), last_id=Max("id"))
    if not agg["count"]:
        return 0, None, GENESIS
    head = JournalEntry.objects.values_list("hash", flat=True).get(pk=agg["last_id"])
    return agg["count"], agg["last_id"], head


def _still_holds(previous: Checkpoint, key: Key, count: int) -> None:
    """Refuse to sign a head that contradicts the newest checkpoint."""
    if previous.key_id != key.id or not key.verify(previous.message(), previous.sig):
        raise CheckpointRefused(
            f"the newest checkpoint ({previous.where}) does not carry this key's signature"
        )
    if previous.last_id is None:  # a checkpoint of the empty journal
        return
    anchor = JournalEntry.objects.filter(pk=previous.last_id).values_list("hash", flat=True)
    before = JournalEntry.objects.filter(pk__lte=previous.last_id).count()
    if count < previous.count or before != previous.count or anchor.first() != previous.head:
        raise CheckpointRefused(
            f"the journal no longer matches the checkpoint {previous.where} of {previous.at}"
            f" ({previous.count} entries up to entry {previous.last_id})"
        )


def write(directory: Path | None = None, key_file: Path | None = None) -> Checkpoint:
    """Sign the journal's current head and append it to this month's checkpoint file."""
    directory = directory or default_directory()
    key = load_key(key_file, create=True)
    previous = newest(directory)
    count, last_id, head = current_head()
    if previous is not None:
        _still_holds(previous, key, count)
    now = timezone.now()
    unsigned = Checkpoint(count, last_id, head, now.isoformat(), key_id=key.id)
    path = directory / f"journal-{now:%Y-%m}.jsonl"
    checkpoint = replace(unsigned, sig=key.sign(unsigned.message()), where=path.name)
    directory.mkdir(mode=0o750, parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        # Two writers (a timer and the demo loop) may append at once.
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(checkpoint.line() + "\n")
        f.flush()
        os.fsync(f.fileno())
    return checkpoint
