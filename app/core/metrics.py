"""Prometheus metrics: requests and latency per route template, database pool gauges."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

_BUCKETS = (0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _PoolCollector(Collector):
    def __init__(self, status: Callable[[], dict[str, int]]) -> None:
        self._status = status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "mzbrain_db_pool_connections", "Database pool connections", labels=["state"]
        )
        for state, value in self._status().items():
            family.add_metric([state], value)
        yield family


class Metrics:
    """One registry per application, so tests and several apps in one process stay apart."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "mzbrain_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mzbrain_http_request_duration_seconds",
            "HTTP request latency",
            ["method", "route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )

    def watch_pool(self, status: Callable[[], dict[str, int]]) -> None:
        self.registry.register(_PoolCollector(status))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
