"""``/metrics``: Prometheus text exposition of the supervision and the recorder.

Built from the database at each scrape (the supervision loop and the recorder run in
other processes): the last probe of every camera, counts per state, the recorder's
states, gaps and segments of the last hour, and the storage pools' free space.

Protection: with ``VIGIE_METRICS_TOKEN`` set, a scraper must send
``Authorization: Bearer <token>`` (from anywhere). Without a token, only a request
made directly on the loopback interface is answered: a request carrying a
``X-Forwarded-For``/``X-Real-IP``/``Forwarded`` header is refused even from 127.0.0.1,
because a reverse proxy on the same host would otherwise make every outside request
look local. Camera names are not exported (ids and member slugs only).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from vigie.inventory.models import StoragePool
from vigie.recording.models import CameraRecordingState, Gap, IngestState, Segment
from vigie.supervision import services
from vigie.supervision.models import CameraHealth, HealthState

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
PROXY_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
LOOPBACK = ("127.0.0.1", "::1")


def allowed(request: HttpRequest) -> bool:
    token = getattr(settings, "VIGIE_METRICS_TOKEN", "")
    if token:
        given = request.headers.get("Authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())
    if any(request.META.get(h) for h in PROXY_HEADERS):
        return False
    return request.META.get("REMOTE_ADDR") in LOOPBACK


def _latency(rows: list[dict[str, Any]]) -> HistogramMetricFamily:
    values = [r["latency_ms"] / 1000 for r in rows if r["latency_ms"] is not None]
    buckets = [(str(b), float(sum(v <= b for v in values))) for b in LATENCY_BUCKETS]
    buckets.append(("+Inf", float(len(values))))
    return HistogramMetricFamily(
        "vigie_camera_probe_latency_seconds",
        "Latency of each camera's last probe (TCP connection and RTSP DESCRIBE).",
        buckets=buckets,
        sum_value=sum(values),
    )


class VigieCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from self.cameras()
        yield from self.recorder()
        yield from self.pools()

    def cameras(self) -> Iterator[Metric]:
        rows = list(
            CameraHealth.objects.unrestricted().values(
                "camera_id", "camera__member__slug", "state", "latency_ms", "probed_at"
            )
        )
        state = GaugeMetricFamily(
            "vigie_camera_state",
            "1 for the camera's current health state.",
            labels=["camera_id", "member", "state"],
        )
        up = GaugeMetricFamily(
            "vigie_camera_up",
            "1 when the camera is OK or degraded.",
            labels=["camera_id", "member"],
        )
        for row in rows:
            labels = [str(row["camera_id"]), row["camera__member__slug"]]
            state.add_metric([*labels, row["state"]], 1)
            up.add_metric(labels, float(row["state"] in (HealthState.OK, HealthState.DEGRADED)))
        yield state
        yield up
        yield _latency(rows)
        counts = GaugeMetricFamily("vigie_cameras", "Cameras per health state.", labels=["state"])
        for name, n in services.state_counts(CameraHealth.objects.unrestricted()).items():
            counts.add_metric([name], n)
        yield counts
        probed = [r["probed_at"] for r in rows if r["probed_at"] is not None]
        yield GaugeMetricFamily(
            "vigie_supervision_last_probe_timestamp_seconds",
            "When the supervision last probed a camera.",
            value=max(probed).timestamp() if probed else 0.0,
        )

    def recorder(self) -> Iterator[Metric]:
        since = timezone.now() - timedelta(hours=1)
        states = GaugeMetricFamily(
            "vigie_recorder_cameras", "Cameras per recording state.", labels=["state"]
        )
        found = dict(
            CameraRecordingState.objects.unrestricted()
            .values("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        for name in IngestState.values:
            states.add_metric([name], found.get(name, 0))
        yield states
        yield GaugeMetricFamily(
            "vigie_recorder_gaps_last_hour",
            "Recording gaps started in the last hour.",
            value=Gap.objects.unrestricted().filter(start__gte=since).count(),
        )
        written = Segment.objects.unrestricted().filter(start__gte=since)
        totals = written.aggregate(n=Count("id"), b=Sum("bytes"))
        yield GaugeMetricFamily(
            "vigie_recorder_segments_last_hour",
            "Segments started in the last hour.",
            value=totals["n"] or 0,
        )
        yield GaugeMetricFamily(
            "vigie_recorder_bytes_last_hour",
            "Bytes of the segments started in the last hour.",
            value=totals["b"] or 0,
        )

    def pools(self) -> Iterator[Metric]:
        free = GaugeMetricFamily(
            "vigie_storage_pool_free_bytes", "Free bytes of each storage pool.", labels=["pool"]
        )
        size = GaugeMetricFamily(
            "vigie_storage_pool_size_bytes", "Size of each storage pool.", labels=["pool"]
        )
        rate = GaugeMetricFamily(
            "vigie_storage_pool_write_bytes_per_second",
            "Mean write rate of each storage pool over the last hour.",
            labels=["pool"],
        )
        pools = StoragePool.objects.unrestricted().filter(enabled=True)
        for pool in services.pool_health(pools):
            if pool.free_bytes is not None and pool.total_bytes is not None:
                free.add_metric([pool.pool.name], pool.free_bytes)
                size.add_metric([pool.pool.name], pool.total_bytes)
            rate.add_metric([pool.pool.name], pool.write_rate_bps)
        yield free
        yield size
        yield rate


def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    registry = CollectorRegistry(auto_describe=False)
    registry.register(VigieCollector())
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
