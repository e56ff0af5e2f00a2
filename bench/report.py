"""The benchmark's tables (bench/bench.py): medians over the rounds with their ranges, and other/C
ratios, in Markdown; the record of the machine and the versions; the results part of
docs/BENCHMARKS.md."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import time
from pathlib import Path

from harness import ROOT, TWO_CORES, WORKERS_BY_KEY

STATUS_WORDS = {"timed_out": "timed out", "running": "still running at the end"}

BEGIN = "<!-- bench results: begin (bench/bench.py --write-doc replaces this part) -->"
END = "<!-- bench results: end -->"


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def _run(argv, cwd=None) -> str:
    try:
        return subprocess.run(argv, capture_output=True, text=True, cwd=cwd, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine_info(args, paths: dict) -> dict:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gib = "?"
    try:
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        mem_gib = f"{kib / 1024 / 1024:.1f}"
    except (OSError, AttributeError):
        pass
    os_name = "?"
    try:
        os_name = re.search(r'PRETTY_NAME="([^"]*)"', Path("/etc/os-release").read_text()).group(1)
    except (OSError, AttributeError):
        pass
    version_h = (ROOT / "include" / "temporal" / "version.h").read_text()
    lib_version = ".".join(re.search(rf"TEMPORAL_VERSION_{p} +(\d+)", version_h).group(1)
                           for p in ("MAJOR", "MINOR", "PATCH"))
    common_sh = (ROOT / "scripts" / "common.sh").read_text()
    cli = re.search(r'TEMPORAL_CLI_VERSION="([^"]*)"', common_sh)
    go_mod = (ROOT / "bench" / "go" / "go.mod").read_text()
    go_sdk = re.search(r"go\.temporal\.io/sdk (v\S+)", go_mod)
    build_type = compiler = "?"
    cache = Path(args.build_dir) / "CMakeCache.txt"
    if cache.exists():
        text = cache.read_text()
        m = re.search(r"CMAKE_BUILD_TYPE:STRING=(.*)", text)
        build_type = (m.group(1) if m else "") or "RelWithDebInfo"  # CMakeLists.txt's default
        m = re.search(r"CMAKE_C_COMPILER:(?:FILEPATH|STRING)=(.*)", text)
        if m:
            compiler = (_run([m.group(1), "--version"]).splitlines() or [m.group(1)])[0]
    try:
        from importlib.metadata import version

        temporalio_version = version("temporalio")
    except Exception:
        temporalio_version = "?"
    return {
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "command": args.command or "python bench/bench.py " + ("--quick" if args.quick else ""),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "pinned": TWO_CORES,
        "memory_gib": mem_gib,
        "kernel": platform.release(),
        "os": os_name,
        "loadavg_start": loadavg(),
        # The library's own commit: the last one that changed it (the bench's files change apart).
        "commit": _run(["git", "log", "-1", "--format=%h", "--abbrev=12", "--", "src", "include"], cwd=ROOT),
        "commit_subject": _run(["git", "log", "-1", "--format=%s", "--", "src", "include"], cwd=ROOT),
        "bench_commit": _run(["git", "rev-parse", "--short=12", "HEAD"], cwd=ROOT),
        "dirty": bool(_run(["git", "status", "--porcelain", "--", "src", "include"], cwd=ROOT)),
        "temporal_c": lib_version,
        "build_type": build_type,
        "compiler": compiler,
        "temporalio": temporalio_version,
        "python": platform.python_version(),
        "go_sdk": go_sdk.group(1) if go_sdk else "?",
        "go": _run(["go", "version"]).replace("go version ", ""),
        "temporal_cli": cli.group(1) if cli else "?",
    }


# ---- formatting --------------------------------------------------------------------------------------


def _num(x: float) -> str:
    if x is None:
        return "–"
    ax = abs(x)
    if ax >= 100:
        return f"{x:,.0f}"
    if ax >= 10:
        return f"{x:.1f}"
    if ax >= 1:
        return f"{x:.2f}"
    return f"{x:.3f}"


def _cell(values: list, scale: float = 1.0) -> str:
    """median (min–max), or the one value."""
    values = [v * scale for v in values if v is not None]
    if not values:
        return "–"
    med = statistics.median(values)
    if len(values) == 1:
        return _num(med)
    return f"{_num(med)} ({_num(min(values))}–{_num(max(values))})"


def _median(values: list):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def _ratio(other, c) -> str:
    if other is None or c is None or c == 0:
        return "–"
    return f"{other / c:.2f}"


def _peer(key: str, keys: list):
    peer = WORKERS_BY_KEY[key].peer
    return peer if peer in keys else None


def _label(key: str) -> str:
    return WORKERS_BY_KEY[key].label


def _select(results: list, **match) -> list:
    return [r for r in results if all(r.get(k) == v for k, v in match.items()) and not r.get("error")]


def _errors(results: list, **match) -> list:
    return [r for r in results if all(r.get(k) == v for k, v in match.items()) and r.get("error")]


# ---- tables ------------------------------------------------------------------------------------------


def _drain_table(results, keys, plan) -> list:
    out = ["| activity | worker | activities/s | other/C | worker CPU µs per activity | other/C "
           "| server CPU µs per activity |",
           "|---|---|---:|---:|---:|---:|---:|"]
    for activity in plan.drain:
        def figure(key, name):
            return [r.get(name) for r in _select(results, scenario="drain", worker=key, activity=activity)]

        for key in keys:
            peer = _peer(key, keys)
            tp, cpu = figure(key, "throughput"), figure(key, "cpu_us_per_activity")
            tp_ratio = _ratio(_median(tp), _median(figure(peer, "throughput"))) if peer else ""
            cpu_ratio = _ratio(_median(cpu), _median(figure(peer, "cpu_us_per_activity"))) if peer else ""
            server = _cell(figure(key, "server_cpu_us_per_activity"))
            out.append(f"| {activity} | {_label(key)} | {_cell(tp)} | {tp_ratio} | {_cell(cpu)} | {cpu_ratio} "
                       f"| {server} |")
    return out


def _startup_table(results, keys) -> list:
    out = ["| worker | exec → first activity completed, ms | other/C | exec → READY, ms |", "|---|---:|---:|---:|"]
    for key in keys:
        def figure(k, name):
            return [r.get(name) for r in _select(results, scenario="drain", worker=k, activity="noop")]

        peer = _peer(key, keys)
        st = figure(key, "startup_s")
        ratio = _ratio(_median(st), _median(figure(peer, "startup_s"))) if peer else ""
        out.append(f"| {_label(key)} | {_cell(st, 1000)} | {ratio} | {_cell(figure(key, 'ready_s'), 1000)} |")
    return out


def _latency_table(results, keys, plan) -> list:
    combos = [(d, p) for d in plan.latency_delays_ms for p in plan.latency_pollers]
    head = "| worker | " + " | ".join(f"{d} ms, {p} pollers: activities/s | other/C" for d, p in combos) + " |"
    out = [head, "|---|" + "---:|---:|" * len(combos)]
    for key in keys:
        cells = []
        for d, p in combos:
            def figure(k):
                return [r.get("throughput") for r in _select(results, scenario="latency", worker=k, delay_ms=d,
                                                             pollers=p)]

            peer = _peer(key, keys)
            tp = figure(key)
            cells.append(f"{_cell(tp)} | {_ratio(_median(tp), _median(figure(peer))) if peer else ''}")
        out.append(f"| {_label(key)} | " + " | ".join(cells) + " |")
    return out


def _slow_table(results, keys) -> list:
    out = ["| worker | others' heartbeat timeouts | others' overrun, s: median / max | "
           "noops' schedule-to-close, ms: median / max | the slowed ones |",
           "|---|---:|---:|---:|---:|"]
    for key in keys:
        runs = _select(results, scenario="slow", worker=key)
        if not runs:
            out.append(f"| {_label(key)} | – | – | – | – |")
            continue
        timed_out = sum(r["fast_statuses"].get("timed_out", 0) for r in runs)
        fast_total = sum(r["fast_total"] for r in runs)
        slowed = {}
        for r in runs:
            for status, n in r["slow_statuses"].items():
                slowed[status] = slowed.get(status, 0) + n
        slowed_text = ", ".join(f"{n} {STATUS_WORDS.get(s, s)}" for s, n in sorted(slowed.items())) or "–"
        overrun = [x for r in runs for x in r["fast_overrun_s"]]
        noop = [x * 1000 for r in runs for x in r["noop_latency_s"]]
        ov = f"{_num(statistics.median(overrun))} / {_num(max(overrun))}" if overrun else "–"
        nl = f"{_num(statistics.median(noop))} / {_num(max(noop))}" if noop else "–"
        out.append(f"| {_label(key)} | {timed_out} of {fast_total} | {ov} | {nl} | {slowed_text} |")
    return out


def _memory_table(results, keys, plan) -> list:
    sizes = [0] + list(plan.memory_in_flight)
    head = "| worker | " + " | ".join(("idle" if n == 0 else f"{n} in flight") + ", RSS MiB | other/C" for n in sizes)
    out = [head + " |", "|---|" + "---:|---:|" * len(sizes)]
    for key in keys:
        cells = []
        for n in sizes:
            def figure(k, name="rss_kib"):
                return [r.get(name) for r in _select(results, scenario="memory", worker=k, in_flight=n)]

            peer = _peer(key, keys)
            rss = figure(key)
            cell = _cell(rss, 1 / 1024)
            if key == "c-process" and rss:
                cell += f" (PSS {_num(_median(figure(key, 'pss_kib')) / 1024)})"
            if key == "c-process" and n:
                cell = "n/a"
            cells.append(f"{cell} | {_ratio(_median(rss), _median(figure(peer))) if peer else ''}")
        out.append(f"| {_label(key)} | " + " | ".join(cells) + " |")
    return out


def render(info: dict, plan, results: list, keys: list) -> str:
    scenarios = {r["scenario"] for r in results}
    lines = [
        f"Measured {info['date']} with `{info['command']}` ({plan.rounds} round(s), "
        f"{info.get('duration_s', 0) / 60:.1f} min).",
        "",
        f"- machine: {info['cpu']}, {info['cores']} cores, {info['memory_gib']} GiB, {info['os']}, "
        f"Linux {info['kernel']}; load average {info['loadavg_start']} at the start, "
        f"{info.get('loadavg_end', '?')} at the end"
        + ("; dev server and proxies on core 0, the worker on core 1" if info["pinned"] else "; nothing pinned"),
        f"- temporal-c {info['temporal_c']}: src/ and include/ as of commit {info['commit']} "
        f"(\"{info['commit_subject']}\")"
        + (", with local changes" if info["dirty"] else "")
        + f", {info['build_type']} build, {info['compiler']}; the bench at {info.get('bench_commit', '?')}",
        f"- Python SDK temporalio {info['temporalio']} (Python {info['python']}); Go SDK {info['go_sdk']} "
        f"({info['go']}); dev server: Temporal CLI {info['temporal_cli']}"
        + (f" (server {info['server_version']})" if info.get("server_version") else ""),
        f"- {plan.slots} slots and {plan.pollers} pollers for every worker (threads = slots for the thread "
        f"pools; the C process pool has {plan.processes} children); ratios are other/C against the C worker "
        "of the same model (Python async def against C async; Python def and Go against the C thread pool), "
        "from the medians",
        "",
    ]
    errors = [r for r in results if r.get("error") and r["scenario"] != "warmup"]
    if "drain" in scenarios:
        lines += [f"**Backlog drain** ({', '.join(f'{a} × {n}' for a, n in plan.drain.items())}; "
                  f"echo = 64 KiB argument and result, sleep = {plan.sleep_ms} ms):", ""]
        lines += _drain_table(results, keys, plan) + [""]
        lines += ["**Start-up** (out of the noop drain):", ""] + _startup_table(results, keys) + [""]
    if "latency" in scenarios:
        lines += [f"**Latency** (noop × {plan.latency_n}, the worker behind a proxy adding a fixed delay each "
                  f"way; {plan.slots} slots):", ""]
        lines += _latency_table(results, keys, plan) + [""]
    if "slow" in scenarios:
        fast = plan.slow_heartbeats - plan.slow_slowed
        lines += [f"**Slow heartbeat calls** ({plan.slow_heartbeats} activities heartbeat every "
                  f"{plan.slow_period_ms} ms for {plan.slow_total_ms / 1000:g} s with a "
                  f"{plan.slow_heartbeat_timeout_s:g} s heartbeat timeout; the proxy holds every heartbeat "
                  f"response of {plan.slow_slowed} of them for {plan.slow_delay_s:g} s; the other {fast} and "
                  f"{plan.slow_noops} noops started {plan.slow_noops_after_s:g} s later should not notice; "
                  "totals over the rounds):", ""]
        lines += _slow_table(results, keys) + [""]
    if "memory" in scenarios:
        lines += ["**Memory** (VmRSS of the worker's processes; idle after one activity with "
                  f"{plan.slots} slots, every round; in flight: that many sleeping activities, slots and threads = "
                  "that many, first round only):", ""]
        lines += _memory_table(results, keys, plan) + [""]
    if errors:
        lines += ["Runs that failed (left out of the tables):", ""]
        for r in errors:
            what = r.get("activity") or r.get("in_flight", "")
            lines.append(f"- {r['scenario']} {r['worker']} {what}: {str(r['error'])[:200]}")
        lines.append("")
    return "\n".join(lines)


def write_doc(path: Path, text: str) -> None:
    doc = path.read_text() if path.exists() else f"{BEGIN}\n{END}\n"
    if BEGIN not in doc or END not in doc:
        raise SystemExit(f"{path}: no results markers ({BEGIN} ... {END})")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    path.write_text(f"{head}{BEGIN}\n\n{text}\n{END}{tail}")
