"""Drive the running stack with wrk, scenario by scenario, and write the report.

    python -m bench.run PREPARED_DIR --url http://127.0.0.1:PORT [--gunicorn-pid PID] [--duration 10] ...

PREPARED_DIR is what bench/prepare.py wrote (manifest.json and one .tsv of requests per scenario). Every scenario
runs twice on loopback: under load (`--connections`, default 8, for throughput and loaded latency) after a short
warm-up, and with one connection (unloaded latency: what one request costs without queueing). Worker RSS is read
from /proc after each scenario. The realtime scenario calls bench/realtime_latency.py when it exists.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import flamegraph, report

ROOT = Path(__file__).resolve().parent.parent
LUA = ROOT / "bench" / "wrk" / "scenario.lua"
RESULTS = ROOT / "bench" / "results"
# `--profile auto` profiles this many of the slowest repeatable scenarios.
PROFILED = 3


def say(text: str) -> None:
    print(f"\033[1;34m==>\033[0m {text}", file=sys.stderr, flush=True)


def wrk(
    url: str,
    targets: Path,
    *,
    duration: float,
    connections: int,
    once: bool,
    out: Path,
    timeout: float = 10.0,
) -> dict[str, Any]:
    env = {
        **os.environ,
        "BENCH_TARGETS": str(targets),
        "BENCH_ONCE": "1" if once else "0",
        "BENCH_OUT": str(out),
        "BENCH_THREADS": "1",
    }
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration:g}s",
        f"--timeout={timeout:g}s",
        "-s",
        str(LUA),
        url,
    ]
    out.unlink(missing_ok=True)
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=duration + timeout + 30)
    if completed.returncode != 0 or not out.exists():
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip() or completed.stdout}")
    return report.parse_wrk(out.read_text())


def drain(base: str, floor_line: str, *, limit: float = 60.0, quick: float = 0.25) -> float:
    """Wait until the server is idle again: wrk stops at its deadline, but gunicorn's sync workers finish the
    requests that were in flight (nginx does not cancel them), and those would slow the next scenario down.
    Idle means two floor requests in a row answered within `quick` seconds. Returns the seconds waited."""
    method, path, token = floor_line.split("\t")[:3]
    request = urllib.request.Request(base + path, method=method, headers={"Authorization": f"Bearer {token}"})
    started = time.monotonic()
    fast = 0
    while fast < 2 and time.monotonic() - started < limit:
        t = time.monotonic()
        try:
            urllib.request.urlopen(request, timeout=limit).read()
        except OSError:
            time.sleep(0.2)
            continue
        fast = fast + 1 if time.monotonic() - t < quick else 0
    return time.monotonic() - started


def split_once_targets(path: Path, first: int) -> tuple[Path, Path]:
    """Scenarios whose requests may be sent once get disjoint halves: the unloaded pass, then the loaded one."""
    lines = [line for line in path.read_text().splitlines() if line]
    first = min(first, max(1, len(lines) // 4))
    single, loaded = path.with_suffix(".single.tsv"), path.with_suffix(".loaded.tsv")
    single.write_text("\n".join(lines[:first]) + "\n")
    loaded.write_text("\n".join(lines[first:]) + "\n")
    return single, loaded


def profile_targets(args: argparse.Namespace, scenarios: list[dict[str, Any]], results: list[report.Result]):
    """The scenarios to profile: those named, or the slowest repeatable ones by unloaded median (`auto`)."""
    if args.profile in ("", "off") or not args.gunicorn_pid:
        return []
    repeatable = {s["name"]: s for s in scenarios if not s["once"] and s["name"] != report.FLOOR and not s.get("base")}
    if args.profile == "auto":
        timed = sorted(
            (r for r in results if r.name in repeatable and r.p50_1 is not None), key=lambda r: -(r.p50_1 or 0)
        )
        names = [r.name for r in timed[:PROFILED]]
    else:
        names = [n for n in args.profile.split(",") if n in repeatable]
    return [repeatable[n] for n in names]


def profile(args: argparse.Namespace, base: str, scenario: dict[str, Any], tmp: Path) -> str:
    """py-spy on gunicorn's workers while wrk replays the scenario (not measured: sampling slows it down)."""
    name = scenario["name"]
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    raw = tmp / f"profile-{name}.txt"
    command = [spy, "record", "--pid", str(args.gunicorn_pid), "--subprocesses", "--format", "raw", "--rate", "200"]
    command += ["--function", "--duration", f"{max(1, int(args.profile_duration))}", "--output", str(raw)]
    say(f"profiling {scenario['title']} with py-spy ({args.profile_duration:g} s)")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)
    wrk(
        base,
        Path(scenario["targets"]),
        duration=args.profile_duration,
        connections=args.connections,
        once=False,
        out=tmp / "profile-wrk.json",
    )
    try:
        _, stderr = process.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        stderr = "timed out"
    results = args.results
    if not raw.exists():
        return f"### Profile: {name}\n\npy-spy failed: {stderr.strip()[-300:]}\n"
    results.mkdir(parents=True, exist_ok=True)
    collapsed = raw.read_text()
    shutil.copy(raw, results / f"profile-{name}.folded.tmp")  # collapsed stacks (git-ignored)
    svg = results / f"profile-{name}.svg"
    title = f"{scenario['title']}: gunicorn workers, {args.connections} connections, py-spy at 200 Hz"
    svg.write_text(flamegraph.render(collapsed, title, report.PROJECT_DIRS), encoding="utf-8")
    text = report.render_profile(name, report.summarize_profile(collapsed))
    text += f"\nFlame graph: [{svg.name}]({svg.name})\n"
    say("    " + text.replace("\n", "\n    "))
    return text


class DeliveryWatch:
    """bench/group_delivery.py around one loaded run: a member of the group subscribed over WebSocket, counting
    what reaches them (the group's `create` events), or reading the chat as the load stops (`read_all`), and how
    long after the load the last publication arrives."""

    def __init__(self, args: argparse.Namespace, base: str, watch: dict[str, Any]) -> None:
        script = ROOT / "bench" / "group_delivery.py"
        self.members = int(watch.get("members") or 0)
        self.event = watch.get("event", "create")
        command = [sys.executable, str(script), "--url", base, "--ws-url", args.ws_url]
        command += ["--token", watch["token"], "--chat", watch["chat"], "--event", self.event]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if line != "ready":
            self.process.kill()
            raise RuntimeError(f"group_delivery.py did not subscribe: {line!r}")

    def finish(self, stopped_at: float, requests: int) -> dict[str, Any]:
        """`requests`: what the loaded run got answered (the events queued before a `read_all` watch's own)."""
        out, _ = self.process.communicate(f"{stopped_at} {requests}\n", timeout=300)
        data = json.loads(out.strip().splitlines()[-1])
        personal = not str(data["channel"]).startswith("chat:")
        # Each message is one publication per channel it goes to: every member's personal channel, or the chat's;
        # a big group's read goes to its reader's alone.
        data["channels_per_message"] = self.members if personal and self.event == "create" else 1
        if data.get("delivered_per_s") is not None:
            data["channel_publications_per_s"] = round(data["delivered_per_s"] * data["channels_per_message"])
        return data


def _seconds(value: float | None) -> str:
    return "never (timed out)" if value is None else f"{value:.2f} s"


def floor_now(args: argparse.Namespace, base: str, targets: Path, out: Path) -> dict[str, float | None]:
    """A short floor run, loaded and then over one connection: the floor as fast as the machine is right now."""
    loaded = wrk(base, targets, duration=args.paired_floor, connections=args.connections, once=False, out=out)
    single = wrk(base, targets, duration=args.paired_floor, connections=1, once=False, out=out)
    return report.paired_floor(loaded, single)


def worker_rss(gunicorn_pid: int | None) -> float | None:
    if not gunicorn_pid:
        return None
    return report.read_rss_mb(report.child_pids(gunicorn_pid))


def parse_rates(text: str) -> list[tuple[float, int]]:
    """`100:1000,20:200` → [(100.0, 1000), (20.0, 200)]: messages per second and how many to send."""
    rates = []
    for part in text.split(","):
        if part.strip():
            rate, _, messages = part.partition(":")
            rates.append((float(rate), int(messages or max(100, float(rate) * 10))))
    return rates


def run_realtime(args: argparse.Namespace, tmp: Path, rate: float, messages: int) -> report.Result:
    script = ROOT / "bench" / "realtime_latency.py"
    title = f"realtime: POST -> publication at {rate:g} msg/s"
    name = "realtime" if rate == args.realtime_rates[0][0] else f"realtime_{rate:g}"
    if not script.exists():
        result = report.Result(name=name, title=title)
        result.notes.append("bench/realtime_latency.py is not in the tree yet: not measured")
        return result
    if not args.realtime_command:
        result = report.Result(name=name, title=title)
        result.notes.append("no Centrifugo in this run: not measured")
        return result
    out = tmp / f"{name}.json"
    values = {"{out}": str(out), "{rate}": f"{rate:g}", "{messages}": str(messages)}
    command = []
    for part in args.realtime_command.split():
        for key, value in values.items():
            part = part.replace(key, value)
        command.append(part)
    say("realtime: " + " ".join(command))
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)
    # It exits 1 when publications were lost, and still writes its JSON: the loss is reported as errors.
    if not out.exists():
        result = report.Result(name=name, title=title)
        result.notes.append(f"realtime_latency.py failed: {(completed.stderr or completed.stdout).strip()[-300:]}")
        return result
    result = report.result_from_realtime(title, json.loads(out.read_text()))
    result.name = name
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("prepared", type=Path)
    parser.add_argument("--url", required=True, help="the stack's base URL (nginx, or gunicorn directly)")
    parser.add_argument("--gunicorn-pid", type=int, default=None)
    parser.add_argument("--duration", type=float, default=float(os.environ.get("BENCH_DURATION", 10)))
    parser.add_argument("--single-duration", type=float, default=float(os.environ.get("BENCH_SINGLE_DURATION", 4)))
    parser.add_argument("--warmup", type=float, default=float(os.environ.get("BENCH_WARMUP", 2)))
    parser.add_argument(
        "--stack-warmup",
        type=float,
        default=float(os.environ.get("BENCH_STACK_WARMUP", 5)),
        help="seconds of floor requests before the first scenario (each worker's first requests import the URLconf)",
    )
    parser.add_argument(
        "--paired-floor",
        type=float,
        default=float(os.environ.get("BENCH_PAIRED_FLOOR", 3)),
        help="seconds of floor requests (loaded, then as long again over one connection) just before each "
        "scenario, for the paired ratios; 0: none",
    )
    parser.add_argument("--connections", type=int, default=int(os.environ.get("BENCH_CONNECTIONS", 8)))
    parser.add_argument("--only", default=os.environ.get("BENCH_ONLY", ""), help="comma-separated scenario names")
    parser.add_argument(
        "--profile",
        default=os.environ.get("BENCH_PROFILE", "auto"),
        help="scenarios to profile with py-spy after the measured runs (comma-separated); `auto`: the three "
        "slowest by unloaded median; `off`: none",
    )
    parser.add_argument("--profile-duration", type=float, default=float(os.environ.get("BENCH_PROFILE_DURATION", 8)))
    parser.add_argument(
        "--realtime-rates",
        type=parse_rates,
        default=parse_rates(os.environ.get("BENCH_REALTIME_RATES", "100:1000,20:200")),
        help="RATE:MESSAGES,... (default 100:1000,20:200: the target rate, and one the send path surely sustains)",
    )
    parser.add_argument("--realtime-command", default="", help="the command that measures realtime latency")
    parser.add_argument(
        "--ws-url", default="", help="Centrifugo's WebSocket URL (through nginx): what reaches a group's member"
    )
    parser.add_argument("--direct-url", default="", help="gunicorn's own URL (the floor without nginx)")
    parser.add_argument("--bare-url", default="", help="the bare WSGI reference's URL (bench/bare_wsgi.py)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--meta", default="{}", help="JSON merged into the report's meta")
    args = parser.parse_args(argv)

    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    manifest = json.loads((args.prepared / "manifest.json").read_text())
    only = {name for name in args.only.split(",") if name}
    scenarios = [s for s in manifest["scenarios"] if not only or s["name"] in only or s["name"] == "floor"]
    tmp = args.prepared / "wrk"
    tmp.mkdir(exist_ok=True)
    started = time.monotonic()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    results: list[report.Result] = []
    profiles: list[str] = []
    base = args.url.rstrip("/")

    floor = next((s for s in scenarios if s["name"] == report.FLOOR), None)
    if floor and args.stack_warmup > 0:
        say(f"warming the stack up ({args.stack_warmup:g} s of floor requests)")
        wrk(
            base,
            Path(floor["targets"]),
            duration=args.stack_warmup,
            connections=args.connections,
            once=False,
            out=tmp / "w.json",
        )
    floor_line = Path(floor["targets"]).read_text().splitlines()[0] if floor else None

    def settle() -> None:
        if floor_line:
            waited = drain(base, floor_line)
            if waited > 2:
                say(f"    (waited {waited:.0f} s for the requests still in flight to finish)")

    bases = {"direct": args.direct_url.rstrip("/"), "bare": args.bare_url.rstrip("/")}
    for n, scenario in enumerate(scenarios, 1):
        name, targets = scenario["name"], Path(scenario["targets"])
        say(f"[{n}/{len(scenarios) + 1}] {scenario['title']}")
        settle()
        url = bases.get(scenario.get("base", ""), base)
        if not url:
            say("    skipped: its server is not running")
            continue
        if scenario["once"]:
            single_targets, loaded_targets = split_once_targets(targets, 200)
        else:
            single_targets = loaded_targets = targets
            if args.warmup > 0:
                wrk(url, targets, duration=args.warmup, connections=args.connections, once=False, out=tmp / "w.json")
        paired = None
        if floor and name != report.FLOOR and args.paired_floor > 0:
            paired = floor_now(args, base, Path(floor["targets"]), tmp / f"{name}.floor.json")
            settle()
        watch = DeliveryWatch(args, base, scenario["watch"]) if scenario.get("watch") and args.ws_url else None
        loaded = wrk(
            url,
            loaded_targets,
            duration=args.duration,
            connections=args.connections,
            once=scenario["once"],
            out=tmp / f"{name}.json",
        )
        stopped = time.monotonic()
        answered = int(loaded["requests"]) - int(loaded["errors"].get("status", 0))  # 2xx: each published once
        delivery = watch.finish(stopped, answered) if watch else None
        rss = worker_rss(args.gunicorn_pid)
        settle()
        single = wrk(
            url,
            single_targets,
            duration=args.single_duration,
            connections=1,
            once=scenario["once"],
            out=tmp / f"{name}.single.json",
        )
        result = report.result_from_wrk(
            name,
            scenario["title"],
            loaded,
            queries=scenario.get("queries"),
            sql_ms=scenario.get("sql_ms"),
            rss_mb=rss if scenario.get("base") != "bare" else None,  # the bare app is not the API's gunicorn
            concurrency=args.connections,
        )
        report.add_single(result, single)
        if delivery is not None:
            result.delivery = delivery
            if delivery.get("behind") is not None:
                result.notes.append(
                    f"a member who read the chat as the load stopped, behind the {delivery['behind']:,} read_alls "
                    f"the load got answered, had its event ({delivery.get('ids') or 0:,} ids) "
                    f"{_seconds(delivery.get('lag_s'))} after the load stopped (on its own channel: a big group's "
                    "reads reach the reader alone)"
                )
        result.paired_floor = paired
        if scenario.get("note"):
            result.notes.append(scenario["note"])
        results.append(result)
        say(
            f"    {result.rps or 0:,.0f} req/s, p50 {result.p50 or 0:.2f} ms, p99 {result.p99 or 0:.2f} ms "
            f"(1 conn: p50 {result.p50_1 or 0:.2f} ms), {result.queries} queries"
        )

    say(f"[{len(scenarios) + 1}/{len(scenarios) + 1}] realtime")
    for rate, messages in args.realtime_rates:
        settle()
        results.append(run_realtime(args, tmp, rate, messages))

    for scenario in profile_targets(args, scenarios, results):
        settle()
        profiles.append(profile(args, base, scenario, tmp))

    report.add_ratios(results)
    dataset = manifest.get("dataset", {})
    meta = {
        "started_at": started_at,
        "machine": machine_description(),
        "dataset": ", ".join(f"{k} {v:,}" if isinstance(v, int) else f"{k} {v}" for k, v in dataset.items()),
        "load": f"wrk, 1 thread, {args.connections} connections for {args.duration:g} s after a {args.warmup:g} s "
        f"warm-up, then 1 connection for {args.single_duration:g} s; page size {manifest.get('page_size')}",
        "elapsed": f"{time.monotonic() - started:.0f} s of load",
        "plot_title": f"wrk, {args.connections} connections; realtime: POST -> publication",
        **json.loads(args.meta),
    }
    paths = report.write_outputs(results, meta, args.results)
    if profiles:
        with paths["markdown"].open("a", encoding="utf-8") as markdown:
            markdown.write("\n" + "\n".join(profiles))
    print(paths["markdown"].read_text())
    say("wrote " + ", ".join(str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths.values()))
    return 0


def machine_description() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}"


if __name__ == "__main__":
    sys.exit(main())
