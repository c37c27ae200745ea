"""The evidence package handed to the courts: footage, manifest, signature, report.

``build_package`` writes, for a judicial requisition, a directory
``<reference>-<UTC timestamp>/`` (and on request the same as ``<dir>.zip`` and
``<dir>.iso``) holding:

- one MP4 per camera and range: the stored footage by stream copy (or masked and
  re-encoded where the camera has privacy masks), with a subtitle track giving the
  date, time and camera of every second (``mp4export``);
- ``manifest.json``: every file with its size and SHA-256, per item the camera, the
  asked range and the range actually included, in UTC and Europe/Paris, the gaps with
  their causes, the requisition, the member, the operator, the software version;
- ``manifest.json.sig``: its detached Ed25519 signature with the syndicate's key,
  ``public-key.pem`` and ``public-key.fingerprint.txt``;
- ``proces-verbal-extraction.pdf``: the extraction report listing all of it;
- ``LISEZMOI.txt``: how to check the package;
- ``SHA256SUMS`` (``sha256sum -c`` format, every file but itself and its signature)
  and ``SHA256SUMS.sig``, so that the report too is covered by a signature.

Everything is built in a hidden temporary directory beside the result, flushed to
the disk, and renamed into place at the end; on cancel or error the temporary
directory is removed, so a partial package is never left where it could be taken for
a complete one, and a package said to be made survives a power cut. The zip is
otherwise made from the directory when it is downloaded (``ziparchive``): the
footage is kept once.
See docs/evidence-package.md; ``verify.verify_package`` checks one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import av
from django.utils import translation

from vigie.evidence import mp4export, plan, signing, ziparchive

if TYPE_CHECKING:
    from vigie.evidence.fastmp4 import Digests

FORMAT = "vigie-evidence-package"
FORMAT_VERSION = 1
HASH_ALGORITHM = "SHA-256"
MANIFEST = "manifest.json"
MANIFEST_SIG = "manifest.json.sig"
PUBLIC_KEY = "public-key.pem"
FINGERPRINT = "public-key.fingerprint.txt"
REPORT = "proces-verbal-extraction.pdf"
README = "LISEZMOI.txt"
SUMS = "SHA256SUMS"
SUMS_SIG = "SHA256SUMS.sig"
FIXED_FILES = (MANIFEST, MANIFEST_SIG, PUBLIC_KEY, FINGERPRINT, REPORT, README, SUMS, SUMS_SIG)
CHUNK = 1 << 20
# Share of the progress bar given to the footage; the rest is hashing, report, archives.
FOOTAGE_SHARE = 0.9
# Items are made side by side, up to this many at once (and no more than the cores).
MAX_PARALLEL_ITEMS = 4
PROGRESS_EVERY_S = 0.5
# x264 preset of masked exports: a one-off file where size matters less than the time
# an operator waits; at CRF 23 "superfast" does 720p about 1.5× faster than "veryfast"
# for files about 1.6× bigger (bench/export.py).
MASKED_PRESET = "superfast"

Progress = Callable[[float, str], None]
_Digests = Callable[["Digests"], None]


@dataclass(frozen=True)
class SegmentFile:
    path: Path
    start: datetime
    end: datetime
    sha256: str  # "" if not yet known


@dataclass(frozen=True)
class ExportItem:
    camera_id: int
    camera_name: str
    camera_location: str
    start: datetime  # the asked range, aware UTC
    end: datetime
    segments: tuple[SegmentFile, ...]  # time order, overlapping the range
    gaps: tuple[tuple[datetime, datetime, str], ...]  # (start, end, cause) inside the range
    masks: tuple[tuple[tuple[float, float], ...], ...] = ()  # normalised polygons; () = copy


@dataclass(frozen=True)
class PackageRequest:
    items: tuple[ExportItem, ...]
    requisition: dict[str, str]
    member: dict[str, str]
    operator: str
    software_version: str


@dataclass(frozen=True)
class PackageResult:
    directory: Path
    zip_path: Path | None
    iso_path: Path | None
    manifest_sha256: str
    files: tuple[str, ...]
    partial: bool
    notes: tuple[str, ...]


class ExportCancelled(Exception):
    """The export was cancelled; nothing of it was left behind."""


class PackageError(ValueError):
    """The request cannot give a package (empty range, no footage at all...)."""


@dataclass
class _Built:
    """One item: its manifest entry, its file and what it says is missing."""

    index: int
    item: ExportItem
    segments: list[SegmentFile]
    entry: dict[str, Any]
    file: str | None
    notes: list[str]  # in the caller's language (PackageResult)
    notes_en: list[str]  # manifest.json
    notes_fr: list[str]  # the report
    partial: bool = False


# --------------------------------------------------------------------------- checks


def check_request(request: PackageRequest) -> None:
    if not request.items:
        raise PackageError("The package names no camera and range.")
    for item in request.items:
        for value in (item.start, item.end):
            if value.tzinfo is None:
                raise PackageError(f"{item.camera_name}: give aware dates (with a time zone).")
        if item.end <= item.start:
            raise PackageError(
                f"{item.camera_name}: the range is empty (it ends at {plan.human(item.end)},"
                f" before or at its start {plan.human(item.start)})."
            )
    if not any(plan.usable_segments(item)[0] for item in request.items):
        ranges = ", ".join(
            f"{i.camera_name} {plan.human(i.start)} – {plan.human(i.end)}" for i in request.items
        )
        raise PackageError(f"No recorded footage in the asked range(s): {ranges}.")


def package_name(reference: str, at: datetime) -> str:
    safe = re.sub(r"[^A-Za-z0-9._-]+", "-", reference).strip("-.")[:60] or "export"
    return f"{safe}-{at.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _item_file_name(n: int, item: ExportItem) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", item.camera_name).strip("-")[:40] or "camera"
    return f"{n:02d}-{safe}-{item.start.astimezone(UTC):%Y%m%dT%H%M%SZ}.mp4"


# --------------------------------------------------------------------------- build


class _Job:
    """One package being built in its temporary directory."""

    def __init__(
        self,
        request: PackageRequest,
        temp: Path,
        name: str,
        progress: Progress | None,
        cancelled: Callable[[], bool] | None,
    ) -> None:
        self.request = request
        self.temp = temp
        self.name = name
        self.dir = temp / name
        self.progress = progress
        self.cancelled = cancelled
        self.hashes: dict[str, tuple[int, str]] = {}
        self.stop = threading.Event()  # tells the worker threads to give up
        self._hash_lock = threading.Lock()

    def tell(self, fraction: float, text: str) -> None:
        if self.progress is not None:
            self.progress(max(0.0, min(fraction, 1.0)), text)

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ExportCancelled("the export was cancelled")

    def add_media(self, name: str, sha256: str | None) -> tuple[int, str]:
        """Record an item's MP4 (in its worker thread): its SHA-256 as computed while
        it was written, else read back; then wait for it to be on the disk, while
        the other items go on."""
        path = self.dir / name
        if sha256 is None:
            digest = hashlib.sha256()
            with path.open("rb", buffering=0) as src:
                for n, chunk in enumerate(iter(lambda: src.read(CHUNK), b"")):
                    digest.update(chunk)
                    if n % 16 == 15:
                        self.check_worker()
            sha256 = digest.hexdigest()
        _flush(path)
        return self._record(name, path.stat().st_size, sha256)

    def check_worker(self) -> None:
        if self.stop.is_set():
            raise mp4export.RemuxCancelled

    def _record(self, name: str, size: int, sha: str) -> tuple[int, str]:
        with self._hash_lock:
            self.hashes[name] = (size, sha)
        return size, sha

    def write(self, name: str, data: bytes) -> tuple[int, str]:
        """A small file of the package, on the disk and hashed."""
        with (self.dir / name).open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        return self._record(name, len(data), hashlib.sha256(data).hexdigest())


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def build_package(
    request: PackageRequest,
    out_dir: Path,
    *,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] | None = None,
    make_iso: bool = False,
    make_zip: bool = False,
    key_file: Path | None = None,
) -> PackageResult:
    """Build the package of ``request`` under ``out_dir`` (see the module's text)."""
    check_request(request)
    try:
        key = signing.signing_key(key_file)
    except signing.SigningKeyError as exc:
        raise PackageError(f"The package cannot be signed: {exc}") from exc
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    created = datetime.now(UTC)
    name = _free_name(out_dir, package_name(request.requisition.get("reference", ""), created))
    temp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".partial", dir=out_dir))
    try:
        (temp / name).mkdir()
        job = _Job(request, temp, name, progress, cancelled)
        result = _build(job, key, created, make_iso, make_zip)
        return _move_into_place(temp, name, out_dir, result)
    except (mp4export.RemuxCancelled, _masking_cancelled()) as exc:
        raise ExportCancelled("the export was cancelled") from exc
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _masking_cancelled() -> type[Exception]:
    try:
        from vigie.recording.masking import MaskingCancelled
    except ImportError:  # pragma: no cover (masking not installed)
        return mp4export.RemuxCancelled
    return MaskingCancelled


def _free_name(out_dir: Path, name: str) -> str:
    candidate, n = name, 1
    while (out_dir / candidate).exists() or (out_dir / f"{candidate}.zip").exists():
        n += 1
        candidate = f"{name}-{n}"
    return candidate


def _build(job: _Job, key: Any, created: datetime, make_iso: bool, make_zip: bool) -> PackageResult:
    from vigie.evidence import report

    built = _export_items(job)
    job.tell(FOOTAGE_SHARE, "Writing the manifest and its signature")
    job.write(README, report.readme(job.name).encode())
    job.write(PUBLIC_KEY, signing.public_pem(key.public))
    job.write(FINGERPRINT, signing.fingerprint_text(key.public).encode())
    manifest = _manifest(job, built, key.public, created)
    manifest_bytes = (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode()
    manifest_sha = job.write(MANIFEST, manifest_bytes)[1]
    job.write(MANIFEST_SIG, signing.sign(key, manifest_bytes))
    job.check()
    job.tell(FOOTAGE_SHARE + 0.02, "Writing the extraction report (PDF)")
    job.write(REPORT, report.render_report(manifest, manifest_sha, job.hashes))
    sums = "".join(f"{sha}  {n}\n" for n, (_, sha) in sorted(job.hashes.items())).encode()
    job.write(SUMS, sums)
    job.write(SUMS_SIG, signing.sign(key, sums))
    _flush(job.dir)
    job.check()
    zip_path = None
    if make_zip:
        job.tell(FOOTAGE_SHARE + 0.04, "Writing the zip")
        zip_path = ziparchive.PackageZip(job.dir).write(job.temp / f"{job.name}.zip")
        job.check()
    iso_path = None
    if make_iso:
        from vigie.evidence import iso

        job.tell(FOOTAGE_SHARE + 0.05, "Writing the ISO 9660 image")
        iso_path = job.temp / f"{job.name}.iso"
        iso.write_iso(job.dir, iso_path, job.request.requisition.get("reference", job.name))
        job.check()
    notes = tuple(n for b in built for n in b.notes)
    job.tell(1.0, "Package complete")
    return PackageResult(
        directory=job.dir,
        zip_path=zip_path,
        iso_path=iso_path,
        manifest_sha256=manifest_sha,
        files=tuple(sorted(p.name for p in job.dir.iterdir())),
        partial=any(b.partial for b in built),
        notes=notes,
    )


def _move_into_place(temp: Path, name: str, out_dir: Path, result: PackageResult) -> PackageResult:
    # The archives first, the directory last: each is complete when it appears.
    zip_path = iso_path = None
    if result.zip_path is not None:
        zip_path = result.zip_path.rename(out_dir / f"{name}.zip")
    if result.iso_path is not None:
        iso_path = result.iso_path.rename(out_dir / f"{name}.iso")
    try:
        directory = (temp / name).rename(out_dir / name)
        _flush(out_dir)
    except OSError:
        for archive in (zip_path, iso_path):
            if archive is not None:
                archive.unlink(missing_ok=True)
        raise
    return PackageResult(
        directory=directory,
        zip_path=zip_path,
        iso_path=iso_path,
        manifest_sha256=result.manifest_sha256,
        files=result.files,
        partial=result.partial,
        notes=result.notes,
    )


# --------------------------------------------------------------------------- items


def _weights(items: tuple[ExportItem, ...]) -> list[float]:
    sizes = []
    for item in items:
        segments, _ = plan.usable_segments(item)
        size = sum(s.path.stat().st_size for s in segments)
        sizes.append(size * (8 if item.masks else 1) + 1)  # a re-encode is much slower
    total = sum(sizes)
    return [s / total for s in sizes]


def _workers(count: int) -> int:
    return max(1, min(count, os.cpu_count() or 1, MAX_PARALLEL_ITEMS))


def _export_items(job: _Job) -> list[_Built]:
    """The items' MP4s, made side by side in worker threads (PyAV leaves the GIL while
    it demuxes and muxes). Only this thread calls the caller's progress and cancel
    functions (they may use the database); the workers see ``job.stop``."""
    items = job.request.items
    job.tell(0.0, "Copying the footage")
    built = [_plan_item(n, item) for n, item in enumerate(items, 1)]
    shares = [0.0] * len(items)
    futures: dict[Future[mp4export.Remuxed], _Built] = {}
    with ThreadPoolExecutor(_workers(len(items)), thread_name_prefix="evidence") as pool:
        try:
            for b in built:
                job.check()
                if b.file is not None:
                    tell = functools.partial(shares.__setitem__, b.index - 1)
                    futures[pool.submit(_make_item, job, b, tell)] = b
            _follow(job, futures, _weights(items), shares)
        except BaseException:
            job.stop.set()  # the workers stop at their next packet; the pool waits
            raise
    return built


def _follow(
    job: _Job,
    futures: dict[Future[mp4export.Remuxed], _Built],
    weights: list[float],
    shares: list[float],
) -> None:
    pending = set(futures)
    while pending:
        done, pending = wait(pending, timeout=PROGRESS_EVERY_S, return_when=FIRST_COMPLETED)
        for future in done:
            built = futures[future]
            _fill(built, future.result())
            shares[built.index - 1] = 1.0
        job.check()
        share = sum(w * s for w, s in zip(weights, shares, strict=True))
        finished = len(futures) - len(pending)
        job.tell(share * FOOTAGE_SHARE, f"Footage: {finished}/{len(futures)} cameras done")


def _plan_item(n: int, item: ExportItem) -> _Built:
    """What an item will hold and what is missing from it, said in the manifest's
    language (English), the report's (French) and the caller's."""
    segments, missing = plan.usable_segments(item)
    found = plan.holes(segments, item.start, item.end, item.gaps)

    def notes() -> list[str]:
        return [plan.missing_note(item, s) for s in missing] + plan.hole_notes(item, found)

    local = notes()
    with translation.override("en"):
        english = notes()
    with translation.override("fr"):
        french = notes()
    entry = _item_entry(n, item, segments, found)
    entry.update(file=None, notes=english, notes_fr=french)
    file_name = _item_file_name(n, item) if segments else None
    built = _Built(n, item, segments, entry, file_name, local, english, french)
    built.partial = bool(found or missing)
    return built


def _make_media(
    job: _Job, built: _Built, tell: Callable[[float], None], digests: _Digests
) -> mp4export.Remuxed:
    """The item's MP4 (in a worker thread)."""
    assert built.file is not None
    item, output = built.item, job.dir / built.file
    label = _labeller(item)
    if item.masks:
        return _masked(job, built.index, item, built.segments, output, label, tell, digests)
    pieces = [mp4export.Piece(s.path, s.start, item.start, item.end) for s in built.segments]
    return _remux(job, pieces, output, label, tell, digests)


def _make_item(job: _Job, built: _Built, tell: Callable[[float], None]) -> mp4export.Remuxed:
    """The item's MP4, hashed and on the disk (in a worker thread)."""
    found: list[str] = []
    remuxed = _make_media(job, built, tell, lambda d: found.append(d.sha256))
    assert built.file is not None
    job.add_media(built.file, found[-1] if found else None)
    return remuxed


def _fill(built: _Built, remuxed: mp4export.Remuxed) -> None:
    spans = remuxed.spans
    for path, why in remuxed.skipped:
        # FFmpeg's reasons are in English: one text for every language.
        note = f"{built.item.camera_name}: {path.name} left out: {why}"
        for notes in (built.notes, built.notes_en, built.notes_fr):
            notes.append(note)
        built.partial = True
    entry = built.entry
    entry["file"] = built.file
    entry["included"] = {"start": plan.moment(spans[0].first), "end": plan.moment(spans[-1].end)}
    entry["pieces"] = [
        {"source": s.path.name, "start": plan.moment(s.first), "end": plan.moment(s.end)}
        for s in spans
    ]


def _labeller(item: ExportItem) -> Callable[[datetime], str]:
    def label(at: datetime) -> str:
        return mp4export.caption(at, item.camera_name, item.camera_location)

    return label


def _remux(
    job: _Job,
    pieces: list[mp4export.Piece],
    output: Path,
    label: Callable[[datetime], str],
    tell: Callable[[float], None],
    digests: _Digests | None = None,
) -> mp4export.Remuxed:
    try:
        return mp4export.remux(
            pieces, output, label, progress=tell, cancelled=job.stop.is_set, digests=digests
        )
    except mp4export.RemuxError as exc:
        raise PackageError(f"{output.name}: {exc}") from exc


def _masked(
    job: _Job,
    n: int,
    item: ExportItem,
    segments: list[SegmentFile],
    output: Path,
    label: Callable[[datetime], str],
    tell: Callable[[float], None],
    digests: _Digests,
) -> mp4export.Remuxed:
    """Masked footage: one re-encode per run of contiguous segments (the masking
    decodes its inputs as one stream), then the same remux as a stream copy."""
    try:
        from vigie.recording.masking import transcode_masked
    except ImportError as exc:
        raise PackageError(f"{item.camera_name}: masked export is not available ({exc})") from exc
    groups = plan.runs(segments)
    pieces: list[mp4export.Piece] = []
    failed: list[tuple[Path, str]] = []
    for r, run in enumerate(groups):
        start, end = max(item.start, run[0].start), min(item.end, run[-1].end)
        masked = job.temp / f".masked-{n:02d}-{r:03d}.mp4"

        def step(fraction: float, _text: str = "", r: int = r) -> None:
            tell(0.9 * (r + fraction) / len(groups))

        try:
            transcode_masked(
                [s.path for s in run],
                masked,
                item.masks,
                start_offset_s=(start - run[0].start).total_seconds(),
                duration_s=(end - start).total_seconds(),
                progress=step,
                cancelled=job.stop.is_set,
                preset=MASKED_PRESET,
            )
        except (ValueError, av.FFmpegError) as exc:  # unreadable footage: said, not fatal
            failed.append((run[0].path, f"the masked re-encode failed ({exc})"))
            continue
        pieces.append(mp4export.Piece(masked, start, from_zero=True))
    try:
        if not pieces:
            raise PackageError(f"{item.camera_name}: no footage could be masked ({failed})")
        remuxed = _remux(job, pieces, output, label, lambda f: tell(0.9 + 0.1 * f), digests)
    finally:
        for piece in pieces:
            piece.path.unlink(missing_ok=True)
    remuxed.skipped[:0] = failed
    return remuxed


def _item_entry(
    n: int, item: ExportItem, segments: list[SegmentFile], found: list[plan.Hole]
) -> dict[str, Any]:
    return {
        "index": n,
        "camera": {
            "id": item.camera_id,
            "name": item.camera_name,
            "location": item.camera_location,
        },
        "asked": {"start": plan.moment(item.start), "end": plan.moment(item.end)},
        "method": "masked re-encode (H.264)" if item.masks else "stream copy (no re-encoding)",
        "masks": [[list(point) for point in polygon] for polygon in item.masks],
        "included": None,
        "gaps": [plan.hole_dict(h) for h in found],
        "recorder_gaps": [
            {"start": plan.moment(a), "end": plan.moment(b), "cause": cause}
            for a, b, cause in item.gaps
        ],
        "source_segments": [
            {
                "name": s.path.name,
                "start": plan.moment(s.start),
                "end": plan.moment(s.end),
                "sha256": s.sha256,
            }
            for s in segments
        ],
    }


def _manifest(job: _Job, built: list[_Built], public: bytes, created: datetime) -> dict[str, Any]:
    request = job.request
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package": job.name,
        "created_at": plan.moment(created),
        "hash_algorithm": HASH_ALGORITHM,
        "signature": {
            "algorithm": "Ed25519",
            "file": MANIFEST_SIG,
            "public_key": PUBLIC_KEY,
            "public_key_sha256": signing.fingerprint(public),
        },
        "software_version": request.software_version,
        "operator": request.operator,
        "requisition": dict(request.requisition),
        "member": dict(request.member),
        "partial": any(b.partial for b in built),
        "notes": [n for b in built for n in b.notes_en],
        "notes_fr": [n for b in built for n in b.notes_fr],
        "items": [b.entry for b in built],
        "files": [
            {"name": name, "bytes": size, "sha256": sha}
            for name, (size, sha) in sorted(job.hashes.items())
        ],
    }
