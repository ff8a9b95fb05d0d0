"""The harness's pure parts: wrk's summary, ratios to the floor, the table, the JSON, the plot, /proc reading."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import report

WRK = {
    "duration_us": 10_000_000,
    "requests": 5000,
    "bytes": 123456,
    "errors": {"connect": 0, "read": 0, "write": 0, "status": 0, "timeout": 0},
    "latency_us": {"min": 500.0, "max": 40000.0, "mean": 2100.0, "stdev": 800.0},
    "percentiles_us": {"50": 2000.0, "75": 2500.0, "90": 3000.0, "99": 8000.0, "99.9": 20000.0},
    "sent": 5010,
    "repeats": 0,
    "targets": 3,
}


def _wrk(**changes):
    data = json.loads(json.dumps(WRK))
    data.update(changes)
    return data


def test_parse_wrk_reads_the_lua_summary() -> None:
    assert report.parse_wrk(json.dumps(WRK))["requests"] == 5000
    with pytest.raises(ValueError):
        report.parse_wrk('{"requests": 1}')


def test_result_from_wrk_converts_units() -> None:
    result = report.result_from_wrk("floor", "Floor", WRK, queries=2, rss_mb=60.0, concurrency=8)
    assert result.rps == pytest.approx(500.0)
    assert (result.p50, result.p90, result.p99) == (2.0, 3.0, 8.0)
    assert result.errors == 0
    assert result.notes == []


def test_errors_and_exhaustion_are_noted() -> None:
    wrk = _wrk(errors={"connect": 1, "read": 0, "write": 0, "status": 7, "timeout": 2}, repeats=1)
    result = report.result_from_wrk("read_all", "read_all", wrk)
    assert result.errors == 10
    text = " ".join(result.notes)
    assert "7 responses were not 2xx" in text
    assert "3 socket errors" in text
    assert "ran out of fresh state" in text


def test_no_requests_means_no_figures() -> None:
    result = report.result_from_wrk("x", "x", _wrk(requests=0))
    assert result.rps is None and result.p50 is None


def test_ratios_are_relative_to_the_floor() -> None:
    floor = report.result_from_wrk("floor", "Floor", WRK, queries=2, rss_mb=50.0)
    slow = report.result_from_wrk(
        "chat_list",
        "Chat list",
        _wrk(requests=1000, percentiles_us={"50": 8000.0, "90": 9000.0, "99": 16000.0}),
        queries=4,
        rss_mb=75.0,
    )
    realtime = report.Result(name="realtime", title="Realtime", rps=100.0, p50=3.0, p90=4.0, p99=6.0)
    report.add_ratios([floor, slow, realtime])
    assert floor.ratios["rps"] == 1.0
    assert slow.ratios["rps"] == pytest.approx(0.2)
    assert slow.ratios["p50"] == pytest.approx(4.0)
    assert slow.ratios["p99"] == pytest.approx(2.0)
    assert slow.ratios["queries"] == 2.0
    assert slow.ratios["rss_mb"] == 1.5
    assert realtime.ratios["rps"] is None
    assert realtime.ratios["p50"] == pytest.approx(1.5)


def test_ratios_without_a_floor_are_empty() -> None:
    result = report.result_from_wrk("x", "x", WRK)
    report.add_ratios([result])
    assert set(result.ratios.values()) == {None}


def test_markdown_json_and_plot(tmp_path: Path) -> None:
    floor = report.result_from_wrk("floor", "Floor", WRK, queries=2, sql_ms=0.5, rss_mb=50.0)
    send = report.result_from_wrk("send", "Send | private", _wrk(requests=2500), queries=6, sql_ms=2.0)
    send.notes.append("something to know")
    results = [floor, send, report.Result(name="realtime", title="Realtime")]
    report.add_ratios(results)
    meta = {"started_at": "2026-01-01 00:00", "machine": "2 cores", "dataset": "1,000 messages"}
    paths = report.write_outputs(results, meta, tmp_path / "out")

    markdown = paths["markdown"].read_text()
    assert "| Floor | 500 (1.00x) | 2.00 (1.00x)" in markdown
    assert "| Send | private | 250 (0.50x)" in markdown
    assert "| 6 (3.00x) | 2.00 (4.00x) |" in markdown
    assert "- Send | private: something to know" in markdown
    assert "- **Machine:** 2 cores" in markdown
    assert "| Realtime | - | - | - | - | - | - | - | - | - |" in markdown

    data = json.loads(paths["json"].read_text())
    assert data["meta"]["dataset"] == "1,000 messages"
    assert [r["name"] for r in data["results"]] == ["floor", "send", "realtime"]
    assert data["results"][1]["ratios"]["rps"] == pytest.approx(0.5)

    assert paths["plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_proc_reading(tmp_path: Path) -> None:
    for pid, ppid, rss in ((10, 1, 1000), (11, 10, 51200), (12, 10, 40960), (13, 11, 999999)):
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(f"{pid} (gunicorn: worker [x y]) S {ppid} 1 1 0\n")
        (tmp_path / str(pid) / "status").write_text(f"Name:\tgunicorn\nVmRSS:\t  {rss} kB\n")
    (tmp_path / "self").mkdir()
    assert report.child_pids(10, proc=tmp_path) == [11, 12]
    assert report.read_rss_mb([11, 12], proc=tmp_path) == 50.0
    assert report.read_rss_mb([99], proc=tmp_path) is None
    # The real /proc works too.
    assert os.getpid() in report.child_pids(os.getppid())


def test_single_connection_latency_is_added_and_compared() -> None:
    floor = report.result_from_wrk("floor", "Floor", WRK)
    report.add_single(floor, _wrk(percentiles_us={"50": 1000.0, "90": 1500.0, "99": 2000.0}))
    other = report.result_from_wrk("x", "X", WRK)
    report.add_single(other, _wrk(percentiles_us={"50": 3000.0, "90": 3500.0, "99": 5000.0}))
    empty = report.result_from_wrk("y", "Y", WRK)
    report.add_single(empty, _wrk(requests=0))
    report.add_ratios([floor, other, empty])
    assert (other.p50_1, other.p99_1) == (3.0, 5.0)
    assert other.ratios["p50_1"] == pytest.approx(3.0)
    assert empty.p50_1 is None and "completed no request" in empty.notes[0]
    assert "| 3.00 (3.00x) | 5.00 (2.50x) |" in report.render_markdown([floor, other], {})


def test_realtime_summary_is_read_in_its_usual_shapes() -> None:
    summary = {"rate": 99.5, "p50_ms": 3.2, "p90_ms": 5.0, "p99_ms": 12.5, "count": 1000}
    result = report.result_from_realtime("rt", summary)
    assert (result.rps, result.p50, result.p90, result.p99, result.requests) == (99.5, 3.2, 5.0, 12.5, 1000)
    nested = report.result_from_realtime("rt", {"latency_ms": {"p50": 1, "p90": 2, "p99": 3}, "lost": 2})
    assert (nested.p50, nested.p99, nested.errors) == (1.0, 3.0, 2)
    assert any("did not arrive" in note for note in nested.notes)
    # bench/realtime_latency.py's own shape
    shape = {
        "rate_per_s": 100.0,
        "recipients": 1,
        "lost": 0,
        "post_rtt_ms": {"count": 1000, "p50": 20.0, "p90": 30.0, "p99": 45.0},
        "post_to_publication_ms": {"count": 1000, "p50": 4.0, "p90": 6.0, "p99": 11.0},
    }
    real = report.result_from_realtime("rt", shape)
    assert (real.rps, real.p50, real.p90, real.p99, real.requests, real.errors) == (100.0, 4.0, 6.0, 11.0, 1000, 0)
    assert any("POST itself took p50 20.0 ms, p99 45.0 ms" in note for note in real.notes)


def test_once_targets_are_split_into_disjoint_parts(tmp_path: Path) -> None:
    from bench.run import split_once_targets

    path = tmp_path / "read_all.tsv"
    path.write_text("".join(f"POST\t/p\tt{i}\t\n" for i in range(1000)))
    single, loaded = split_once_targets(path, 200)
    a, b = single.read_text().split(), loaded.read_text().split()
    assert len(single.read_text().splitlines()) == 200
    assert len(loaded.read_text().splitlines()) == 800
    assert not set(a) & set(b) - {"POST", "/p"}
    # Few targets: the unloaded pass takes at most a quarter.
    path.write_text("".join(f"POST\t/p\tt{i}\t\n" for i in range(8)))
    single, loaded = split_once_targets(path, 200)
    assert len(single.read_text().splitlines()) == 2


def test_profile_summary_ranks_project_code_and_self_time() -> None:
    collapsed = "\n".join(
        [
            'process 1:"gunicorn";thread (0x1);handle (django/core/handlers/base.py:10);'
            "get (chats/views.py:30);get_members (chats/serializers.py:77);to_representation "
            "(rest_framework/serializers.py:500) 60",
            'process 1:"gunicorn";thread (0x1);handle (django/core/handlers/base.py:10);'
            "get (chats/views.py:30);execute (psycopg/cursor.py:90) 30",
            'process 2:"gunicorn";thread (0x1);wait (gunicorn/arbiter.py:1) 10',
            "garbage line",
        ]
    )
    summary = report.summarize_profile(collapsed)
    project = dict(summary["project"])
    assert project["get (chats/views.py:30)"] == pytest.approx(0.9)
    assert project["get_members (chats/serializers.py:77)"] == pytest.approx(0.6)
    assert "handle (django/core/handlers/base.py:10)" not in project
    assert summary["self"][0] == ("to_representation (rest_framework/serializers.py:500)", pytest.approx(0.6))
    text = report.render_profile("chat_list", summary)
    assert "### Profile: chat_list" in text and "60.0% `get_members (chats/serializers.py:77)`" in text
    assert report.summarize_profile("") == {"project": [], "self": []}


def test_realtime_rates_are_parsed() -> None:
    from bench.run import parse_rates

    assert parse_rates("100:1000,20:200") == [(100.0, 1000), (20.0, 200)]
    assert parse_rates("50") == [(50.0, 500)]
    assert parse_rates("") == []


def test_paired_ratios_use_the_floor_measured_just_before() -> None:
    # The run's floor says 500 req/s; the floor measured just before the scenario, 250 req/s and 4 ms.
    floor = report.result_from_wrk("floor", "Floor", WRK)
    scenario = report.result_from_wrk("chat_list", "Chat list", _wrk(requests=1000))
    report.add_single(scenario, _wrk(percentiles_us={"50": 6000.0, "99": 9000.0}))
    scenario.paired_floor = report.paired_floor(_wrk(requests=2500), _wrk(percentiles_us={"50": 4000.0, "99": 5000.0}))
    assert scenario.paired_floor == {"rps": pytest.approx(250.0), "p50_1": pytest.approx(4.0)}
    results = [floor, scenario]
    report.add_ratios(results)
    assert scenario.ratios["rps"] == pytest.approx(0.2)  # against the run's floor
    assert report.paired_ratios(scenario) == {"rps": pytest.approx(0.4), "p50_1": pytest.approx(1.5)}

    markdown = report.render_markdown(results, {})
    assert "| Chat list | 100 | 250 | 0.40x | 6.00 | 4.00 | 1.50x |" in markdown
    assert json.loads(report.to_json(results, {}))["results"][1]["paired_floor"]["rps"] == pytest.approx(250.0)


def test_no_paired_table_without_paired_floors() -> None:
    results = [report.result_from_wrk("floor", "Floor", WRK)]
    report.add_ratios(results)
    assert "Paired with the floor" not in report.render_markdown(results, {})
