"""Checking an evidence package: a directory, its ``.zip`` or its ``.iso``.

Every file is hashed once and compared with ``manifest.json`` and ``SHA256SUMS``; no
file may be missing or added; both signatures must hold with the package's public
key, and that key must be the expected one (given, or this installation's own): a
package re-signed with another key fails with "wrong key". Each problem names its
file and the reason. Needs no database.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from pycdlib.pycdlibexception import PyCdlibException

from vigie.evidence import signing
from vigie.evidence.package import (
    FINGERPRINT,
    FIXED_FILES,
    FORMAT,
    MANIFEST,
    MANIFEST_SIG,
    PUBLIC_KEY,
    SUMS,
    SUMS_SIG,
)

CHUNK = 1 << 20
SUMS_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
# Small files are read whole; anything bigger in their place is suspect.
SMALL_LIMIT = 16 << 20


@dataclass
class VerifyReport:
    ok: bool
    problems: list[str] = field(default_factory=list)
    checked: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "problems": self.problems, "checked": self.checked}


class _Source(Protocol):
    names: list[str]

    def open(self, name: str) -> BinaryIO: ...


class _Directory:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.names = sorted(
            p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file() or p.is_symlink()
        )

    def open(self, name: str) -> BinaryIO:
        return (self.path / name).open("rb")


class _Zip:
    def __init__(self, path: Path) -> None:
        self.zip = zipfile.ZipFile(path)
        members = [i.filename for i in self.zip.infolist() if not i.is_dir()]
        tops = {m.split("/", 1)[0] for m in members}
        # A package's zip holds one folder, the package; unzipped, it is the directory.
        self.prefix = f"{tops.pop()}/" if len(tops) == 1 and all("/" in m for m in members) else ""
        self.names = sorted(m[len(self.prefix) :] for m in members)

    def open(self, name: str) -> BinaryIO:
        return self.zip.open(self.prefix + name)  # type: ignore[return-value]


class _Iso:
    def __init__(self, path: Path) -> None:
        import pycdlib

        self.iso = pycdlib.PyCdlib()
        self.iso.open(str(path))
        if self.iso.has_rock_ridge():
            self.kind = "rr_path"
        elif self.iso.has_joliet():
            self.kind = "joliet_path"
        else:
            self.kind = "iso_path"
        self.names = []
        for top, _dirs, files in self.iso.walk(**{self.kind: "/"}):
            for name in files:
                full = f"{top.rstrip('/')}/{name}".lstrip("/")
                self.names.append(full.split(";")[0] if self.kind == "iso_path" else full)
        self.names.sort()

    def open(self, name: str) -> BinaryIO:
        buffer = io.BytesIO()
        path = "/" + name + (";1" if self.kind == "iso_path" else "")
        self.iso.get_file_from_iso_fp(buffer, **{self.kind: path})
        buffer.seek(0)
        return buffer


def _open_source(path: Path) -> _Source:
    if path.is_dir():
        return _Directory(path)
    if zipfile.is_zipfile(path):
        return _Zip(path)
    if path.suffix.lower() == ".iso":
        return _Iso(path)
    raise ValueError(f"{path}: neither a package directory, nor its .zip, nor its .iso")


class _Check:
    def __init__(self, source: _Source) -> None:
        self.source = source
        self.report = VerifyReport(ok=False)
        self.digests: dict[str, tuple[int, str]] = {}

    def problem(self, text: str) -> None:
        self.report.problems.append(text)

    def ok(self, text: str) -> None:
        self.report.checked.append(text)

    def small(self, name: str) -> bytes | None:
        if name not in self.source.names:
            self.problem(f"{name}: missing")
            return None
        with self.source.open(name) as f:
            data = f.read(SMALL_LIMIT + 1)
        if len(data) > SMALL_LIMIT:
            self.problem(f"{name}: too big for what it should be")
            return None
        return data

    def digest(self, name: str) -> tuple[int, str] | None:
        if name in self.digests:
            return self.digests[name]
        sha, size = hashlib.sha256(), 0
        try:
            with self.source.open(name) as f:
                for chunk in iter(lambda: f.read(CHUNK), b""):
                    sha.update(chunk)
                    size += len(chunk)
        except (OSError, zipfile.BadZipFile) as exc:
            self.problem(f"{name}: cannot be read ({exc})")
            return None
        self.digests[name] = (size, sha.hexdigest())
        return self.digests[name]


def verify_package(path: Path, *, public_key: Path | None = None) -> VerifyReport:
    """Check a package directory, ``.zip`` or ``.iso`` (see the module's text)."""
    path = Path(path)
    if not path.exists():
        return VerifyReport(ok=False, problems=[f"{path}: not found"])
    try:
        source = _open_source(path)
    except (ValueError, OSError, zipfile.BadZipFile, PyCdlibException) as exc:
        return VerifyReport(ok=False, problems=[f"{path}: unreadable ({exc})"])
    check = _Check(source)
    key = _check_key(check, public_key)
    manifest_bytes = check.small(MANIFEST)
    manifest = _manifest(check, manifest_bytes)
    if key is not None:
        _signature(check, key, MANIFEST, manifest_bytes, MANIFEST_SIG)
    sums_bytes = check.small(SUMS)
    sums = _parse_sums(check, sums_bytes)
    if key is not None:
        _signature(check, key, SUMS, sums_bytes, SUMS_SIG)
    listed = _check_manifest_files(check, manifest)
    _check_sums(check, sums)
    _check_names(check, listed, sums)
    check.report.ok = not check.report.problems
    return check.report


def _check_key(check: _Check, expected_file: Path | None) -> bytes | None:
    data = check.small(PUBLIC_KEY)
    if data is None:
        return None
    try:
        key = signing.read_public_key(data)
    except signing.SigningKeyError as exc:
        check.problem(f"{PUBLIC_KEY}: unreadable ({exc})")
        return None
    fingerprint = signing.fingerprint(key)
    text = check.small(FINGERPRINT)
    if text is not None and fingerprint not in text.decode("utf-8", "replace"):
        check.problem(f"{FINGERPRINT}: does not match {PUBLIC_KEY}")
    try:
        expected = (
            signing.read_public_key_file(expected_file)
            if expected_file is not None
            else signing.local_public_key()
        )
    except signing.SigningKeyError as exc:
        check.problem(f"--key: {exc}")
        return key
    if expected is None:
        check.ok(
            f"{PUBLIC_KEY}: key {fingerprint} NOT compared with the syndicate's key"
            " (give it with --key, or compare the fingerprint by another channel)"
        )
    elif expected != key:
        check.problem(
            f"{PUBLIC_KEY}: wrong key: the package is signed with key {fingerprint},"
            f" expected {signing.fingerprint(expected)}"
        )
    else:
        check.ok(f"{PUBLIC_KEY}: the expected key ({fingerprint})")
    return key


def _signature(check: _Check, key: bytes, name: str, data: bytes | None, sig_name: str) -> None:
    signature = check.small(sig_name)
    if data is None or signature is None:
        return
    if signing.verify(key, data, signature):
        check.ok(f"{sig_name}: valid Ed25519 signature of {name}")
    else:
        check.problem(f"{sig_name}: the signature does not match {name} (altered or swapped)")


def _manifest(check: _Check, data: bytes | None) -> dict[str, Any] | None:
    if data is None:
        return None
    try:
        manifest = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        check.problem(f"{MANIFEST}: not valid JSON ({exc})")
        return None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        check.problem(f"{MANIFEST}: not a Vigie evidence manifest")
        return None
    return manifest


def _parse_sums(check: _Check, data: bytes | None) -> dict[str, str]:
    sums: dict[str, str] = {}
    if data is None:
        return sums
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        match = SUMS_LINE.match(line)
        if match is None:
            check.problem(f"{SUMS}: line {number} is not “<sha256>  <file>”")
            continue
        sums[match[2]] = match[1].lower()
    return sums


def _check_manifest_files(check: _Check, manifest: dict[str, Any] | None) -> set[str]:
    listed: set[str] = set()
    for entry in _entries(check, manifest):
        name = entry["name"]
        listed.add(name)
        if name not in check.source.names:
            check.problem(f"{name}: missing (listed in {MANIFEST})")
            continue
        found = check.digest(name)
        if found is None:
            continue
        if found != (entry["bytes"], entry["sha256"]):
            check.problem(f"{name}: SHA-256 or size differs from {MANIFEST} (altered)")
        else:
            check.ok(f"{name}: SHA-256 as in {MANIFEST}")
    return listed


def _entries(check: _Check, manifest: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    if manifest is None:
        return
    for entry in manifest.get("files", []):
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("bytes"), int)
            or not isinstance(entry.get("sha256"), str)
        ):
            check.problem(f"{MANIFEST}: a file entry is malformed")
            continue
        yield entry


def _check_sums(check: _Check, sums: dict[str, str]) -> None:
    for name, expected in sorted(sums.items()):
        if name not in check.source.names:
            check.problem(f"{name}: missing (listed in {SUMS})")
            continue
        found = check.digest(name)
        if found is not None and found[1] != expected:
            check.problem(f"{name}: SHA-256 differs from {SUMS} (altered)")
        elif found is not None:
            check.ok(f"{name}: SHA-256 as in {SUMS}")


def _check_names(check: _Check, listed: set[str], sums: dict[str, str]) -> None:
    allowed = set(FIXED_FILES) | listed
    for name in check.source.names:
        if name not in allowed:
            check.problem(f"{name}: unexpected file (added to the package)")
        elif name not in sums and name not in (SUMS, SUMS_SIG):
            check.problem(f"{name}: not listed in {SUMS}")
    for name in (SUMS, SUMS_SIG):
        if name in sums:
            check.problem(f"{SUMS}: lists {name}, which it cannot cover")
