"""Verification of packages: every kind of tampering fails, naming the file and why."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from django.core.management import call_command

from vigie.audit.checkpoints import Key
from vigie.evidence import package as pkg
from vigie.evidence import signing
from vigie.evidence.tests.package_support import Built, built, footage
from vigie.evidence.verify import verify_package

__all__ = ["built", "footage"]  # fixtures

KINDS = {
    "video": lambda names: next(n for n in names if n.endswith(".mp4")),
    "manifest": lambda names: pkg.MANIFEST,
    "manifest signature": lambda names: pkg.MANIFEST_SIG,
    "public key": lambda names: pkg.PUBLIC_KEY,
    "fingerprint": lambda names: pkg.FINGERPRINT,
    "report": lambda names: pkg.REPORT,
    "readme": lambda names: pkg.README,
    "sums": lambda names: pkg.SUMS,
    "sums signature": lambda names: pkg.SUMS_SIG,
}


def flip_byte(path: Path, at: float = 0.5) -> None:
    data = bytearray(path.read_bytes())
    i = min(int(len(data) * at), len(data) - 1)
    data[i] ^= 0x01
    path.write_bytes(bytes(data))


def sums_check(directory: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sha256sum", "-c", "--quiet", pkg.SUMS], cwd=directory, capture_output=True, text=True
    )


def problems_about(directory: Path, name: str) -> list[str]:
    report = verify_package(directory)
    assert not report.ok
    return [p for p in report.problems if p.startswith(name)]


@pytest.mark.parametrize("kind", list(KINDS))
def test_one_byte_changed_in_any_file_fails(built: Built, tmp_path: Path, kind: str) -> None:
    directory = built.copy(tmp_path)
    name = KINDS[kind](sorted(p.name for p in directory.iterdir()))
    # In a PEM, a byte in the base64 body; elsewhere the middle of the file.
    flip_byte(directory / name, at=0.4)
    report = verify_package(directory)
    assert not report.ok
    assert any(p.startswith(name) or f" {name} " in f" {p} " for p in report.problems), (
        report.problems
    )
    if name not in (pkg.SUMS, pkg.SUMS_SIG):
        assert sums_check(directory).returncode != 0  # sha256sum alone sees it too


@pytest.mark.parametrize("kind", ["video", "report", "manifest signature", "readme"])
def test_a_removed_file_fails(built: Built, tmp_path: Path, kind: str) -> None:
    directory = built.copy(tmp_path)
    name = KINDS[kind](sorted(p.name for p in directory.iterdir()))
    (directory / name).unlink()
    assert any("missing" in p for p in problems_about(directory, name))
    assert sums_check(directory).returncode != 0


@pytest.mark.parametrize("added", ["notes.txt", "03-extra.mp4", "sub/hidden.bin"])
def test_an_added_file_fails(built: Built, tmp_path: Path, added: str) -> None:
    directory = built.copy(tmp_path)
    (directory / added).parent.mkdir(exist_ok=True)
    (directory / added).write_bytes(b"extra")
    assert problems_about(directory, added) == [f"{added}: unexpected file (added to the package)"]


def test_a_swapped_manifest_fails(built: Built, tmp_path: Path) -> None:
    directory = built.copy(tmp_path)
    shutil.copy(built.other.directory / pkg.MANIFEST, directory / pkg.MANIFEST)
    problems = verify_package(directory).problems
    assert (
        f"{pkg.MANIFEST_SIG}: the signature does not match {pkg.MANIFEST} (altered or swapped)"
        in (problems)
    )
    assert any(p.startswith(f"{pkg.MANIFEST}: SHA-256 differs") for p in problems)


def test_a_manifest_swapped_with_its_signature_fails(built: Built, tmp_path: Path) -> None:
    directory = built.copy(tmp_path)
    for name in (pkg.MANIFEST, pkg.MANIFEST_SIG):
        shutil.copy(built.other.directory / name, directory / name)
    problems = verify_package(directory).problems
    # Genuinely signed, but it describes other footage.
    assert not any(p.startswith(pkg.MANIFEST_SIG + ": the signature") for p in problems)
    assert any("missing (listed in manifest.json)" in p for p in problems)
    assert any("unexpected file" in p for p in problems)


def resign(directory: Path, key: Key) -> None:
    """What a forger with another key would do: a consistent package, signed anew."""
    (directory / pkg.PUBLIC_KEY).write_bytes(signing.public_pem(key.public))
    (directory / pkg.FINGERPRINT).write_text(signing.fingerprint_text(key.public))
    manifest = json.loads((directory / pkg.MANIFEST).read_text())
    for entry in manifest["files"]:
        data = (directory / entry["name"]).read_bytes()
        entry["bytes"], entry["sha256"] = len(data), hashlib.sha256(data).hexdigest()
    manifest["signature"]["public_key_sha256"] = signing.fingerprint(key.public)
    data = json.dumps(manifest, indent=2, ensure_ascii=False).encode()
    (directory / pkg.MANIFEST).write_bytes(data)
    (directory / pkg.MANIFEST_SIG).write_bytes(signing.sign(key, data))
    names = sorted(p.name for p in directory.iterdir() if p.name not in (pkg.SUMS, pkg.SUMS_SIG))
    sums = "".join(
        f"{hashlib.sha256((directory / n).read_bytes()).hexdigest()}  {n}\n" for n in names
    )
    (directory / pkg.SUMS).write_text(sums)
    (directory / pkg.SUMS_SIG).write_bytes(signing.sign(key, sums.encode()))


def test_a_package_resigned_with_another_key_fails_as_wrong_key(
    built: Built, tmp_path: Path
) -> None:
    directory = built.copy(tmp_path)
    forger = Key.from_secret(secrets.token_bytes(32))
    resign(directory, forger)
    assert sums_check(directory).returncode == 0  # hashes alone cannot tell
    report = verify_package(directory)  # against this installation's key
    assert report.problems == [
        f"{pkg.PUBLIC_KEY}: wrong key: the package is signed with key"
        f" {signing.fingerprint(forger.public)}, expected {signing.fingerprint(local_key())}"
    ]
    forged_pub = tmp_path / "forger.pem"
    forged_pub.write_bytes(signing.public_pem(forger.public))
    assert verify_package(directory, public_key=forged_pub).ok  # consistent but for the key


def local_key() -> bytes:
    key = signing.local_public_key()
    assert key is not None
    return key


def test_the_expected_key_may_be_given(built: Built, tmp_path: Path) -> None:
    pem = tmp_path / "syndicate.pem"
    pem.write_bytes(signing.public_pem(local_key()))
    assert verify_package(built.result.directory, public_key=pem).ok
    other = tmp_path / "other.pem"
    other.write_bytes(signing.public_pem(Key.from_secret(secrets.token_bytes(32)).public))
    report = verify_package(built.result.directory, public_key=other)
    assert len(report.problems) == 1 and "wrong key" in report.problems[0]


def test_without_an_expected_key_it_says_the_key_was_not_compared(
    built: Built, settings: pytest.FixtureRequest, tmp_path: Path
) -> None:
    settings.VIGIE_EVIDENCE_KEY_FILE = str(tmp_path / "none.key")  # type: ignore[attr-defined]
    report = verify_package(built.result.directory)
    assert report.ok
    assert any("NOT compared" in line for line in report.checked)


def rewrite_zip(source: Path, dest: Path, change: Callable[[str, bytes], bytes | None]) -> None:
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(dest, "w") as zout:
        for info in zin.infolist():
            data = change(info.filename, zin.read(info))
            if data is not None:
                zout.writestr(info, data)


def test_the_zip_form_fails_when_changed(built: Built, tmp_path: Path) -> None:
    def altered(name: str, data: bytes) -> bytes:
        if name.endswith(".mp4") and "01-" in name:
            return data[:100] + bytes([data[100] ^ 1]) + data[101:]
        return data

    assert built.result.zip_path is not None
    target = tmp_path / "altered.zip"
    rewrite_zip(built.result.zip_path, target, altered)
    problems = verify_package(target).problems
    assert any(p.startswith("01-") and "altered" in p for p in problems), problems
    dropped = tmp_path / "dropped.zip"
    rewrite_zip(built.result.zip_path, dropped, lambda n, d: None if n.endswith(".pdf") else d)
    assert f"{pkg.REPORT}: missing (listed in {pkg.SUMS})" in verify_package(dropped).problems


def test_the_iso_form_fails_when_changed(built: Built, tmp_path: Path) -> None:
    assert built.result.iso_path is not None
    image = bytearray(built.result.iso_path.read_bytes())
    video = next(built.result.directory.glob("01-*.mp4")).read_bytes()
    at = image.find(video[:4096])
    assert at > 0
    image[at + len(video) // 2] ^= 0x01
    target = tmp_path / "altered.iso"
    target.write_bytes(bytes(image))
    problems = verify_package(target).problems
    assert any(p.startswith("01-") and "altered" in p for p in problems), problems


def test_not_a_package(tmp_path: Path) -> None:
    assert verify_package(tmp_path / "nothing").problems == [f"{tmp_path / 'nothing'}: not found"]
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"junk")
    assert "neither a package directory" in verify_package(junk).problems[0]
    report = verify_package(tmp_path)  # an empty directory
    assert f"{pkg.MANIFEST}: missing" in report.problems


# --------------------------------------------------------------------------- CLI


def test_the_command_exits_0_on_an_intact_package(
    built: Built, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("evidence", "verify", str(built.result.zip_path))
    out = capsys.readouterr().out
    assert out.strip().endswith("package intact")


def test_the_command_names_what_failed_and_exits_1(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = built.copy(tmp_path)
    flip_byte(directory / pkg.REPORT)
    with pytest.raises(SystemExit) as exit_:
        call_command("evidence", "verify", str(directory))
    assert exit_.value.code == 1
    err = capsys.readouterr().err
    assert f"FAILED: {pkg.REPORT}: SHA-256 differs from {pkg.SUMS} (altered)" in err


def test_the_command_gives_json(
    built: Built, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pem = tmp_path / "other.pem"
    pem.write_bytes(signing.public_pem(Key.from_secret(secrets.token_bytes(32)).public))
    with pytest.raises(SystemExit):
        call_command("evidence", "verify", str(built.result.directory), "--key", str(pem), "--json")
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False and "wrong key" in report["problems"][0]


def test_the_command_refuses_an_unreadable_key(built: Built, tmp_path: Path) -> None:
    bad = tmp_path / "bad.pem"
    bad.write_text("not a key")
    with pytest.raises(SystemExit) as exit_:
        call_command("evidence", "verify", str(built.result.directory), "--key", str(bad))
    assert exit_.value.code == 2
