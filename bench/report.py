"""The pure part of the benchmark harness: wrk's JSON summary → figures → ratios to the floor → table, JSON, plot.

No Django and no load here, so `bench/tests` can check all of it without a server.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

FLOOR = "floor"
# The floor straight to gunicorn, and the bare WSGI reference (bench/bare_wsgi.py).
FLOOR_DIRECT = "floor_direct"
BARE = "bare"
# Scenarios that hold a fixed rate: their req/s is an input, not a throughput to compare with the floor's.
FIXED_RATE = {"realtime"}


def _fixed_rate(name: str) -> bool:
    return name in FIXED_RATE or name.startswith("realtime_")


PERCENTILES = ("p50", "p90", "p99")


@dataclass
class Result:
    """One scenario's figures. Latencies in milliseconds; `None` where a figure does not apply."""

    name: str
    title: str
    rps: float | None = None
    p50: float | None = None
    p90: float | None = None
    p99: float | None = None
    # Unloaded: the same requests over one connection (no queueing behind other requests).
    p50_1: float | None = None
    p99_1: float | None = None
    requests: int = 0
    errors: int = 0
    queries: float | None = None
    # Time the database spent on those queries (one request through Django's test client, not under load).
    sql_ms: float | None = None
    rss_mb: float | None = None
    concurrency: int | None = None
    duration_s: float | None = None
    notes: list[str] = field(default_factory=list)
    ratios: dict[str, float | None] = field(default_factory=dict)
    # Group sends: what reached a member over WebSocket (bench/group_delivery.py's figures).
    delivery: dict[str, Any] | None = None
    # The floor measured just before this scenario (`rps`, `p50_1`): the machine's speed drifts between minutes
    # (the floor has measured 680 to 900 req/s in one hour), so a ratio to a floor measured next to it is steadier.
    paired_floor: dict[str, float | None] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def parse_wrk(text: str) -> dict[str, Any]:
    """Read the JSON that bench/wrk/scenario.lua's done() writes (times in microseconds)."""
    data = json.loads(text)
    for key in ("duration_us", "requests", "errors", "percentiles_us"):
        if key not in data:
            raise ValueError(f"wrk summary has no {key!r}")
    return data


def result_from_wrk(
    name: str,
    title: str,
    wrk: dict[str, Any],
    *,
    queries: float | None = None,
    sql_ms: float | None = None,
    rss_mb: float | None = None,
    concurrency: int | None = None,
) -> Result:
    seconds = wrk["duration_us"] / 1e6
    pct = wrk["percentiles_us"]
    errors = sum(int(v) for v in wrk["errors"].values())
    result = Result(
        name=name,
        title=title,
        rps=wrk["requests"] / seconds if seconds > 0 else None,
        p50=_ms(pct.get("50")),
        p90=_ms(pct.get("90")),
        p99=_ms(pct.get("99")),
        requests=int(wrk["requests"]),
        errors=errors,
        queries=queries,
        sql_ms=sql_ms,
        rss_mb=rss_mb,
        concurrency=concurrency,
        duration_s=round(seconds, 2),
    )
    if wrk["errors"].get("status"):
        result.notes.append(f"{wrk['errors']['status']} responses were not 2xx/3xx")
    socket_errors = errors - int(wrk["errors"].get("status", 0))
    if socket_errors:
        result.notes.append(f"{socket_errors} socket errors (connect/read/write/timeout)")
    if wrk.get("repeats"):
        result.notes.append(
            f"ran out of fresh state after {wrk.get('targets')} requests: the run was cut short, "
            "throughput is understated"
        )
    if result.requests == 0:
        result.notes.append("no request completed")
        result.rps = result.p50 = result.p90 = result.p99 = None
    return result


def add_single(result: Result, wrk: dict[str, Any]) -> None:
    """Add the one-connection run's latency to a loaded result."""
    if not wrk.get("requests"):
        result.notes.append("the one-connection run completed no request")
        return
    result.p50_1 = _ms(wrk["percentiles_us"].get("50"))
    result.p99_1 = _ms(wrk["percentiles_us"].get("99"))


def result_from_realtime(title: str, data: dict[str, Any]) -> Result:
    """bench/realtime_latency.py's summary: percentiles in ms (`p50`/`p90`/`p99` or `p50_ms`...), the rate it
    achieved and how many publications it saw."""

    nested = [data.get(k) or {} for k in ("post_to_publication_ms", "latency_ms", "percentiles_ms")]

    def pick(*keys: str) -> float | None:
        for key in keys:
            for source in (data, *nested):
                if isinstance(source, dict) and source.get(key) is not None:
                    return float(source[key])
        return None

    result = Result(
        name="realtime",
        title=title,
        rps=pick("rate", "achieved_rate", "rps", "messages_per_s", "rate_per_s"),
        p50=pick("p50", "p50_ms", "50"),
        p90=pick("p90", "p90_ms", "90"),
        p99=pick("p99", "p99_ms", "99"),
        requests=int(pick("count", "received", "samples", "messages", "sent") or 0),
    )
    lost = pick("lost", "missing")
    if lost:
        result.errors = int(lost)
        result.notes.append(f"{int(lost)} publications did not arrive")
    rtt = data.get("post_rtt_ms") or {}
    if rtt.get("p50") is not None and rtt.get("p99") is not None:
        result.notes.append(
            f"the POST itself took p50 {float(rtt['p50']):.1f} ms, p99 {float(rtt['p99']):.1f} ms: when it is close "
            "to the delivery time, the send rate (not the relay) is what delays publications"
        )
    recipients = data.get("recipients")
    to = f" to {recipients} recipient(s)" if recipients else ""
    result.notes.append(
        f"req/s is the send rate held{to}; latency is from starting the POST to the publication reaching the "
        "subscriber over WebSocket (through nginx)"
    )
    return result


def _ms(us: Any) -> float | None:
    if us is None:
        return None
    value = float(us) / 1000.0
    return None if math.isnan(value) else value


def add_ratios(results: Iterable[Result], floor_name: str = FLOOR) -> None:
    """Every figure as a multiple of the floor's: req/s ratio < 1 means slower, latency ratio > 1 means slower."""
    results = list(results)
    floor = next((r for r in results if r.name == floor_name), None)
    for result in results:
        result.ratios = {
            key: _ratio(getattr(result, key), getattr(floor, key) if floor else None)
            for key in ("rps", *PERCENTILES, "p50_1", "p99_1", "queries", "sql_ms", "rss_mb")
        }
        if _fixed_rate(result.name):
            result.ratios["rps"] = None


def paired_floor(loaded: dict[str, Any], single: dict[str, Any]) -> dict[str, float | None]:
    """The floor's throughput and one-connection median from a short run of each, taken just before a scenario."""
    floor = result_from_wrk(FLOOR, "floor", loaded)
    add_single(floor, single)
    return {"rps": floor.rps, "p50_1": floor.p50_1}


def paired_ratios(result: Result) -> dict[str, float | None]:
    """A scenario's req/s and one-connection median as multiples of the floor measured just before it."""
    floor = result.paired_floor or {}
    rps = None if _fixed_rate(result.name) else _ratio(result.rps, floor.get("rps"))
    return {"rps": rps, "p50_1": _ratio(result.p50_1, floor.get("p50_1"))}


def _ratio(value: float | None, base: float | None) -> float | None:
    if value is None or base is None or base == 0:
        return None
    return value / base


def _num(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if digits == 0 or abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def _cell(value: float | None, ratio: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if ratio is None:
        return _num(value, digits)
    return f"{_num(value, digits)} ({ratio:.2f}x)"


def render_markdown(results: list[Result], meta: dict[str, Any]) -> str:
    lines = [f"# Benchmark results ({meta.get('started_at', '')})", ""]
    for key, label in (
        ("code", "Code"),
        ("machine", "Machine"),
        ("dataset", "Dataset"),
        ("stack", "Stack"),
        ("load", "Load"),
        ("elapsed", "Run time"),
    ):
        if meta.get(key):
            lines.append(f"- **{label}:** {meta[key]}")
    lines += [
        "",
        "Each cell: the figure, then (in brackets) the figure divided by the floor's in the same run.",
        "",
        "| scenario | req/s | p50 ms | p90 ms | p99 ms | p50 ms, 1 conn | p99 ms, 1 conn | SQL/req | SQL ms/req "
        "| worker RSS MB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            "| "
            + " | ".join(
                [
                    r.title,
                    _cell(r.rps, r.ratios.get("rps"), 0),
                    _cell(r.p50, r.ratios.get("p50"), 2),
                    _cell(r.p90, r.ratios.get("p90"), 2),
                    _cell(r.p99, r.ratios.get("p99"), 2),
                    _cell(r.p50_1, r.ratios.get("p50_1"), 2),
                    _cell(r.p99_1, r.ratios.get("p99_1"), 2),
                    _cell(r.queries, r.ratios.get("queries"), 0),
                    _cell(r.sql_ms, r.ratios.get("sql_ms"), 2),
                    _cell(r.rss_mb, r.ratios.get("rss_mb"), 0),
                ]
            )
            + " |"
        )
    by_name = {r.name: r for r in results}
    floor, bare, direct = by_name.get(FLOOR), by_name.get(BARE), by_name.get(FLOOR_DIRECT)
    if floor and bare and floor.rps and bare.rps:
        text = (
            f"The authenticated floor (nginx → gunicorn → Django, DRF, JWT) runs at **{floor.rps / bare.rps:.2f}x** "
            f"the bare reference's throughput"
        )
        if direct and direct.rps:
            text += f"; straight to gunicorn, at **{direct.rps / bare.rps:.2f}x**"
        if floor.p50_1 and bare.p50_1:
            text += f". One request at a time: {floor.p50_1:.2f} ms against {bare.p50_1:.2f} ms"
            if direct and direct.p50_1:
                text += f" ({direct.p50_1:.2f} ms without nginx)"
        lines += ["", text + "."]
    delivered = [r for r in results if r.delivery]
    if delivered:
        lines += [
            "",
            "What reached a member over WebSocket during the loaded run (and after it: the lag is from the end of the "
            "load to the last publication):",
            "",
            "| scenario | channel | events sent | received | publications/s at the member | channel publications/s "
            "| lag after the load, s |",
            "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in delivered:
            d = r.delivery or {}
            channel = "the chat's (`chat:<id>`)" if str(d.get("channel", "")).startswith("chat:") else "personal"
            lines.append(
                f"| {r.title} | {channel} | {d.get('messages', 0):,} | {d.get('received', 0):,} "
                f"| {_num(d.get('delivered_per_s'), 0)} | {_num(d.get('channel_publications_per_s'), 0)} "
                f"| {_num(d.get('lag_s'), 2)}{' (timed out)' if d.get('timed_out') else ''} |"
            )
    paired = [r for r in results if r.paired_floor]
    if paired:
        lines += [
            "",
            "Paired with the floor: each scenario against a short floor run (its requests/s over the same connections, "
            "and its one-connection median) measured just before it, which cancels the machine's drift between "
            "minutes:",
            "",
            "| scenario | req/s | the floor's req/s just before | ratio | p50 ms, 1 conn | the floor's just before "
            "| ratio |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in paired:
            floor, ratios = r.paired_floor or {}, paired_ratios(r)
            lines.append(
                f"| {r.title} | {_num(r.rps, 0)} | {_num(floor.get('rps'), 0)} | {_num(ratios['rps'], 2)}x "
                f"| {_num(r.p50_1, 2)} | {_num(floor.get('p50_1'), 2)} | {_num(ratios['p50_1'], 2)}x |"
            )
    notes = [(r.title, note) for r in results for note in r.notes]
    if notes:
        lines += ["", "Notes:", ""]
        lines += [f"- {title}: {note}" for title, note in notes]
    return "\n".join(lines) + "\n"


def to_json(results: list[Result], meta: dict[str, Any]) -> str:
    return json.dumps({"meta": meta, "results": [r.as_dict() for r in results]}, indent=2, ensure_ascii=False) + "\n"


def plot_latency(results: list[Result], path: Path, title: str = "Latency by scenario") -> bool:
    """A horizontal bar chart of p50/p90/p99 per scenario (log scale). False when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = [r for r in results if r.p50 is not None]
    fig, ax = plt.subplots(figsize=(10, 0.55 * max(len(rows), 1) + 1.6))
    height = 0.27
    colors = {"p50": "#4c72b0", "p90": "#dd8452", "p99": "#c44e52"}
    for i, key in enumerate(PERCENTILES):
        values = [getattr(r, key) or 0 for r in rows]
        positions = [n + (i - 1) * height for n in range(len(rows))]
        ax.barh(positions, values, height=height, label=key, color=colors[key])
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r.title for r in rows])
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("latency, ms (log scale)")
    ax.set_title(title)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def write_outputs(results: list[Result], meta: dict[str, Any], directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": directory / "latest.md", "json": directory / "latest.json", "plot": directory / "latency.png"}
    paths["markdown"].write_text(render_markdown(results, meta), encoding="utf-8")
    paths["json"].write_text(to_json(results, meta), encoding="utf-8")
    title = f"Latency by scenario ({meta['plot_title']})" if meta.get("plot_title") else "Latency by scenario"
    if not plot_latency(results, paths["plot"], title=title):
        del paths["plot"]
    return paths


def read_rss_mb(pids: Iterable[int], proc: Path = Path("/proc")) -> float | None:
    """The largest resident set among the given processes, in MiB (VmRSS from /proc/PID/status)."""
    sizes = []
    for pid in pids:
        try:
            text = (proc / str(pid) / "status").read_text()
        except OSError:
            continue
        for line in text.splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024.0)
    return max(sizes) if sizes else None


def child_pids(parent: int, proc: Path = Path("/proc")) -> list[int]:
    """The direct children of a process (gunicorn's workers), read from /proc without psutil."""
    children = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: the ppid is the 2nd field after it.
        fields = stat[stat.rfind(")") + 2 :].split()
        if len(fields) > 1 and int(fields[1]) == parent:
            children.append(int(entry.name))
    return sorted(children)


PROJECT_DIRS = (
    "application/",
    "users/",
    "chats/",
    "messages/",
    "conversations/",
    "accounts/",
    "centrifugo/",
    "uploads/",
    "posts/",
    "friends/",
)


def summarize_profile(collapsed: str, top: int = 12) -> dict[str, list[tuple[str, float]]]:
    """py-spy's raw output (one collapsed stack per line, `frame;frame;... count`) → the project functions with
    the largest inclusive share of the samples, and the functions (any code) with the largest self share."""
    inclusive: dict[str, int] = {}
    self_time: dict[str, int] = {}
    total = 0
    for line in collapsed.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [f for f in stack.split(";") if f and not f.startswith(("process ", "thread "))]
        if not frames:
            continue
        self_time[frames[-1]] = self_time.get(frames[-1], 0) + n
        for frame in set(frames):
            if "Middleware.__call__" in frame:
                continue  # every request passes through them: they say nothing about this scenario
            if any(f"({d}" in frame or f"/{d}" in frame for d in PROJECT_DIRS):
                inclusive[frame] = inclusive.get(frame, 0) + n
    if not total:
        return {"project": [], "self": []}

    def ranked(counts: dict[str, int]) -> list[tuple[str, float]]:
        return [(frame, n / total) for frame, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:top]]

    return {"project": ranked(inclusive), "self": ranked(self_time)}


def render_profile(name: str, summary: dict[str, list[tuple[str, float]]]) -> str:
    lines = [f"### Profile: {name}", "", "Project code, inclusive share of the workers' samples:", ""]
    lines += [f"- {share:5.1%} `{frame}`" for frame, share in summary["project"]] or ["- (no samples)"]
    lines += ["", "Where the time is spent (self):", ""]
    lines += [f"- {share:5.1%} `{frame}`" for frame, share in summary["self"]] or ["- (no samples)"]
    return "\n".join(lines) + "\n"
