"""A small, bounded HTTP load client: Python threads, http.client, loopback only.

Every run is bounded twice: by a request count and by a deadline. Each simulated client has its
own connection and cookie jar. No Django imports here.

The server's own time for each request is read from its `Server-Timing: app;dur=<ms>` header
(set by bench/server_timing.py under bench/bench_settings.py), next to the time the client
waited (which adds the network, gunicorn and any queueing behind busy workers).
"""

from __future__ import annotations

import http.client
import math
import statistics
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field

HOST = "127.0.0.1"


def server_ms(header: str | None) -> float | None:
    """The `app` duration of a Server-Timing header, in ms (None when absent or malformed)."""
    for metric in (header or "").split(","):
        name, *params = (part.strip() for part in metric.split(";"))
        if name != "app":
            continue
        for param in params:
            key, _eq, value = param.partition("=")
            if key.strip() == "dur":
                try:
                    return float(value.strip().strip('"'))
                except ValueError:
                    return None
    return None


class Client:
    """One browser-ish client: a connection (re-opened when the server closes it) and cookies."""

    def __init__(self, port: int, timeout: float = 120.0) -> None:
        assert HOST == "127.0.0.1"
        self.conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        # The server's time for the last response (Server-Timing), None if it sent none.
        self.last_server_ms: float | None = None

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        # What every browser sends. The app compresses nothing itself (no GZip middleware), so
        # responses come back as they are; the client keeps the bytes as they arrive.
        hdrs = {"Host": f"{HOST}", "Accept-Encoding": "gzip, deflate, br", **(headers or {})}
        if self.cookies:
            hdrs["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            hdrs["Content-Type"] = "application/x-www-form-urlencoded"
            if "csrftoken" in self.cookies:
                hdrs["X-CSRFToken"] = self.cookies["csrftoken"]
        self.last_server_ms = None
        try:
            self.conn.request(method, path, body=body, headers=hdrs)
            resp = self.conn.getresponse()
            data = resp.read()
        except (http.client.HTTPException, OSError):
            self.conn.close()
            raise
        self.last_server_ms = server_ms(resp.getheader("Server-Timing"))
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                if "=" in pair:
                    k, v = pair.split("=", 1)
                    self.cookies[k.strip()] = v.strip()
        return resp.status, data

    def login(self, username: str, password: str) -> bool:
        self.request("GET", "/accounts/login/")
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            form={
                "username": username,
                "password": password,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        return status == 302 and "sessionid" in self.cookies

    def close(self) -> None:
        self.conn.close()


@dataclass
class Result:
    clients: int
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    server_ms: list[float] = field(default_factory=list)  # Server-Timing of those, when sent
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    bytes: int = 0

    @property
    def count(self) -> int:
        return len(self.latencies) + self.errors

    def pct(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        data = sorted(self.latencies)
        k = max(0, min(len(data) - 1, math.ceil(p / 100 * len(data)) - 1))  # nearest rank
        return data[k]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p95(self) -> float:
        return self.pct(95)

    @property
    def server_p50_ms(self) -> float | None:
        """Median of the server's own time (Server-Timing), None if no response carried it."""
        return statistics.median(self.server_ms) if self.server_ms else None

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


# A step: given (client index, request number) make one request, return (status, body).
Step = Callable[[Client, int, int], tuple[int, bytes]]


def run(
    *,
    port: int,
    clients: int,
    step: Step,
    ok: tuple[int, ...],
    max_requests: int,
    max_seconds: float,
    setup: Callable[[Client, int], None] | None = None,
    warmup: int = 0,
) -> Result:
    """`clients` threads each loop on `step` until `max_requests` in total or `max_seconds`."""
    result = Result(clients=clients)
    lock = threading.Lock()
    issued = 0
    conns = [Client(port) for _ in range(clients)]
    for i, c in enumerate(conns):
        if setup:
            setup(c, i)
        for w in range(warmup):
            step(c, i, w)
    deadline = time.monotonic() + max_seconds

    def worker(i: int) -> None:
        nonlocal issued
        c = conns[i]
        n = 0
        while True:
            with lock:
                if issued >= max_requests or time.monotonic() >= deadline:
                    return
                issued += 1
            start = time.perf_counter()
            try:
                status, body = step(c, i, n)
            except Exception as exc:  # a refused/reset connection is an error, not a crash
                with lock:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"{type(exc).__name__}: {exc}")
                n += 1
                continue
            took = time.perf_counter() - start
            with lock:
                if status in ok:
                    result.latencies.append(took)
                    result.bytes += len(body)
                    if c.last_server_ms is not None:
                        result.server_ms.append(c.last_server_ms)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(f"HTTP {status}: {body[:120]!r}")
            n += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max_seconds + 120)
    result.elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    return result
