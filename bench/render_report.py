#!/usr/bin/env python3
"""Turns bitbridge-bench's JSON into the generated parts of docs/performance.md and the plot data.

    render_report.py RESULTS.json --plot-data FILE
        writes "case p50 p99" lines (µs) for gnuplot (bench/latency.gnuplot)
    render_report.py RESULTS.json --plot-rate-data FILE
        writes "case calls_per_s" lines for the RPC cases (sequential and pipelined), the
        second panel of the plot
    render_report.py RESULTS.json --markdown docs/performance.md --command "scripts/bench.sh"
        replaces the blocks between "<!-- BEGIN bench:NAME -->" and "<!-- END bench:NAME -->"
        (NAME = results, limits) with figures from RESULTS.json; the prose around them is kept.
        With --bulk BULK.json (bitbridge-bulk-bench --json) also the block NAME = bulk.

Standard library only (python3 is part of Debian 12).
"""
import argparse
import json
import re
import sys


def fmt(value, unit=""):
    """A number as the table prints it: 3 significant digits below 100, integers above."""
    if value is None:
        return "–"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return text + unit


def fmt_ratio(value, unit=""):
    """A ratio or target: three decimals below 1 (1/6 = 0.167), otherwise as fmt."""
    if value is not None and abs(value) < 1:
        return f"{value:.3f}{unit}"
    return fmt(value, unit)


def case(results, name):
    entry = results["cases"].get(name)
    if entry is None or "error" in entry:
        return None
    return entry


def results_block(results, command):
    machine = results.get("machine", {})
    lines = []
    lines.append("Machine and build of this run:")
    lines.append("")
    labels = [
        ("cpu_model", "CPU"), ("cores", "cores online"), ("memory_kib", "memory"),
        ("os", "OS"), ("kernel", "kernel"), ("compiler", "compiler"),
        ("capnp_version", "Cap'n Proto"), ("build_type", "build type"),
        ("load_average", "load average at start (1/5/15 min)"), ("date", "date (UTC)"),
        ("rounds", "rounds (interleaved; each figure is the median over them, max the max)"),
    ]
    for key, label in labels:
        if key not in machine:
            continue
        value = machine[key]
        if key == "memory_kib":
            value = f"{value / 1048576:.1f} GiB"
        lines.append(f"- {label}: {value}")
    lines.append("")
    lines.append("Command:")
    lines.append("")
    lines.append("```sh")
    lines.append(command)
    lines.append("```")
    lines.append("")
    lines.append("| case | calls | p50 µs | p99 µs | p99.9 µs | max µs | calls/s | KiB |")
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, entry in results["cases"].items():
        if "error" in entry:
            lines.append(f"| `{name}` | failed: {entry['error']} | | | | | | |")
            continue
        cells = [
            str(entry["calls"]) if "calls" in entry else "–",
            fmt(entry.get("p50_us")), fmt(entry.get("p99_us")), fmt(entry.get("p999_us")),
            fmt(entry.get("max_us")), fmt(entry.get("calls_per_s")), fmt(entry.get("kib")),
        ]
        lines.append(f"| `{name}` | " + " | ".join(cells) + " |")
    lines.append("")
    lines.append("Figures the targets are stated in:")
    lines.append("")
    lines.append("| figure | how | value | target | |")
    lines.append("|---|---|---:|---:|---|")
    for key, ratio in results.get("ratios", {}).items():
        value = ratio.get("value")
        unit = ratio.get("unit", "")
        shown = fmt_ratio(value, "" if unit == "x" else " " + unit) + ("×" if unit == "x" and value is not None else "")
        if "goal" in ratio:
            target = f"{ratio['goal']} {fmt_ratio(ratio['target'])}{'×' if unit == 'x' else ' ' + unit}"
            verdict = "not measured" if value is None else ("met" if ratio.get("met") else "**missed**")
        else:
            target, verdict = "", "context"
        lines.append(f"| `{key}` | {ratio['what']} | {shown} | {target} | {verdict} |")
    lines.append("")
    lines.append("![p50 and p99 latency per case, log scale](bench/latency.png)")
    return "\n".join(lines)


def cpu(entry):
    if entry is None:
        return None, None
    return entry.get("client_cpu_us_per_call"), entry.get("peer_cpu_us_per_call")


def one_cpu_block(results, pinned):
    """The latency cases again with every process on one CPU, next to the free-running run."""
    out = []
    cpu_no = pinned.get("machine", {}).get("pinned_cpu", 0)
    out.append(f"The same calls with every process pinned to one CPU (`--pin-cpu {cpu_no}`, "
               f"written to `docs/bench/results-one-cpu.json`): no call waits for the other "
               f"CPU to wake up, so what remains is the CPU path (system calls, context switches, "
               f"Cap'n Proto):")
    out.append("")
    out.append("| case | p50 µs, free | p50 µs, one CPU | client CPU µs/call, one CPU "
               "| peer CPU µs/call, one CPU |")
    out.append("|---|---:|---:|---:|---:|")
    for name, entry in pinned["cases"].items():
        if "error" in entry or "p50_us" not in entry:
            continue
        free = case(results, name)
        client, peer = cpu(entry)
        out.append(f"| `{name}` | {fmt(free.get('p50_us') if free else None)} | "
                   f"{fmt(entry['p50_us'])} | {fmt(client)} | {fmt(peer)} |")
    uds = case(pinned, "bitbridge_uds_64to32")
    capnp = case(pinned, "capnp_ezrpc_uds")
    capnp32 = case(pinned, "capnp_ezrpc_uds_64to32")
    if uds and capnp:
        out.append("")
        line = (f"On one CPU, bitbridge_uds_64to32 / capnp_ezrpc_uds = "
                f"{fmt(uds['p50_us'] / capnp['p50_us'])}×")
        uds32 = case(pinned, "bitbridge_uds_32to64")
        if uds32:
            line += (f", bitbridge_uds_32to64 (a 64-bit host) / capnp_ezrpc_uds = "
                     f"{fmt(uds32['p50_us'] / capnp['p50_us'])}×")
        if capnp32:
            line += (f", and bitbridge_uds_64to32 / capnp_ezrpc_uds_64to32 = "
                     f"{fmt(uds['p50_us'] / capnp32['p50_us'])}×")
        out.append(line + ".")
    shm = case(pinned, "bitbridge_shm_64to32")
    if shm and uds:
        out.append("")
        line = (f"On one CPU, bitbridge_shm_64to32 / bitbridge_uds_64to32 = "
                f"{fmt_ratio(shm['p50_us'] / uds['p50_us'])}×.")
        client, peer = cpu(shm)
        if client is not None and peer is not None:
            line += (f" There client and host cannot run at the same time, and the shm call's p50 "
                     f"({fmt(shm['p50_us'])} µs) is about the sum of their CPU per call "
                     f"({fmt(client)} + {fmt(peer)} µs): with no second CPU, a waiting side "
                     f"yields to the other after 2 µs of polling instead of spinning.")
        out.append(line)
    return "\n".join(out)


def limits_block(results):
    ratios = results.get("ratios", {})
    spin = case(results, "floor_spin")
    pair = case(results, "floor_socketpair")
    capnp = case(results, "capnp_ezrpc_uds")
    capnp_pipe = case(results, "capnp_ezrpc_pipelined")
    uds = case(results, "bitbridge_uds_64to32")
    uds32 = case(results, "bitbridge_uds_32to64")
    pipe = case(results, "pipelined_64to32")
    shm = case(results, "bitbridge_shm_64to32")
    shm32 = case(results, "bitbridge_shm_32to64")
    pipe_shm = case(results, "pipelined_shm_64to32")
    cold = case(results, "cold_start")
    exec_true = case(results, "exec_true")
    out = []

    def status(key):
        ratio = ratios.get(key, {})
        if ratio.get("value") is None:
            return "not measured"
        return "met" if ratio.get("met") else "missed"

    out.append("Per-call CPU time, measured with the processes' CPU clocks over the same calls "
               "(client = the calling process, peer = the server or host):")
    out.append("")
    out.append("| case | wall p50 µs | client CPU µs/call | peer CPU µs/call |")
    out.append("|---|---:|---:|---:|")
    for name, entry in [("floor_socketpair", pair), ("capnp_ezrpc_uds", capnp),
                        ("capnp_ezrpc_uds_64to32", case(results, "capnp_ezrpc_uds_64to32")),
                        ("capnp_ezrpc_pipelined", capnp_pipe), ("bitbridge_uds_64to32", uds),
                        ("bitbridge_uds_32to64", uds32), ("pipelined_64to32", pipe),
                        ("bitbridge_shm_64to32", shm), ("bitbridge_shm_32to64", shm32),
                        ("pipelined_shm_64to32", pipe_shm)]:
        if entry is None:
            continue
        client, peer = cpu(entry)
        out.append(f"| `{name}` | {fmt(entry.get('p50_us'))} | {fmt(client)} | {fmt(peer)} |")
    out.append("")

    # Null call against the baseline.
    if uds and capnp:
        r = ratios.get("bitbridge_vs_capnp_p50", {}).get("value")
        line = (f"- **Null call vs. plain Cap'n Proto** ({status('bitbridge_vs_capnp_p50')}): "
                f"bitbridge 64→32 p50 {fmt(uds['p50_us'])} µs against {fmt(capnp['p50_us'])} µs "
                f"for EzRpc, {fmt(r)}×.")
        capnp32 = case(results, "capnp_ezrpc_uds_64to32")
        if capnp32:
            same_pair = uds["p50_us"] / capnp32["p50_us"]
            line += (f" Plain EzRpc with the same bitness pair (64-bit client, 32-bit server) takes "
                     f"{fmt(capnp32['p50_us'])} µs, and bitbridge is {fmt(same_pair)}× that")
            if same_pair <= 1.05:
                line += ": the gap to the 64↔64 baseline comes with the 32-bit peer, not from bitbridge."
            else:
                line += "."
        rounds_uds, rounds_capnp = uds.get("p50_by_round_us"), capnp.get("p50_by_round_us")
        if rounds_uds and rounds_capnp and len(rounds_uds) == len(rounds_capnp):
            per_round = [a / b for a, b in zip(rounds_uds, rounds_capnp)]
            line += (f" Round by round (the rounds interleave the cases) the ratio was "
                     + ", ".join(fmt(r) for r in per_round) + "×.")
        if pair:
            share = pair["p50_us"] / uds["p50_us"] * 100
            line += (f" The kernel floor alone (floor_socketpair, one blocking round trip) is "
                     f"{fmt(pair['p50_us'])} µs, {share:.0f}% of the bitbridge call.")
        out.append(line)

    # Shared memory against the socket.
    if shm and uds:
        r = ratios.get("shm_vs_uds_p50", {}).get("value")
        target = ratios.get("shm_vs_uds_p50", {}).get("target", 1 / 6)
        line = (f"- **Shared memory vs. socket** ({status('shm_vs_uds_p50')}): bitbridge 64→32 "
                f"over the shared-memory rings p50 {fmt(shm['p50_us'])} µs against "
                f"{fmt(uds['p50_us'])} µs over the socket, {fmt_ratio(r)}× (the target, "
                f"{fmt_ratio(target)}×, is {fmt(uds['p50_us'] * target)} µs here).")
        if shm32 and uds32:
            line += (f" 32→64: {fmt(shm32['p50_us'])} µs against {fmt(uds32['p50_us'])} µs, "
                     f"{fmt_ratio(shm32['p50_us'] / uds32['p50_us'])}×.")
        client, peer = cpu(shm)
        if client is not None and peer is not None:
            line += (f" Per call the client spends {fmt(client)} µs of CPU and the host "
                     f"{fmt(peer)} µs (spinning while waiting included)")
            if spin:
                line += (f"; the hardware floor, a round trip through a shared cache line, is "
                         f"{fmt(spin['p50_us'])} µs (floor_spin), {fmt(shm['p50_us'] / spin['p50_us'])}× "
                         f"below the shm call")
            line += "."
        rounds_shm, rounds_uds = shm.get("p50_by_round_us"), uds.get("p50_by_round_us")
        if rounds_shm and rounds_uds and len(rounds_shm) == len(rounds_uds):
            line += (" Round by round: " + ", ".join(fmt_ratio(a / b) for a, b in zip(rounds_shm, rounds_uds))
                     + "×.")
        out.append(line)

    # Pipelining.
    if pipe and uds:
        client, peer = cpu(pipe)
        r = ratios.get("pipelined_vs_sequential", {}).get("value")
        line = (f"- **Pipelining** ({status('pipelined_vs_sequential')}): 128 calls in flight "
                f"give {fmt(pipe['calls_per_s'])} calls/s against {fmt(uds['calls_per_s'])} "
                f"sequential, {fmt(r)}×.")
        if client and peer:
            busiest = max(client, peer)
            bound = 1e6 / busiest
            line += (f" With calls overlapped, each call still costs {fmt(client)} µs of client "
                     f"CPU and {fmt(peer)} µs of host CPU, so even with one core each the "
                     f"throughput cannot exceed 1 / {fmt(busiest)} µs = {fmt(bound)} calls/s, "
                     f"{fmt(bound / uds['calls_per_s'])}× the sequential rate.")
        if pipe_shm:
            pc, pp = cpu(pipe_shm)
            line += (f" Over shared memory, 128 in flight give {fmt(pipe_shm['calls_per_s'])} calls/s: "
                     f"{fmt(pipe_shm['calls_per_s'] / uds['calls_per_s'])}× the sequential socket rate")
            if shm:
                line += (f", {fmt(pipe_shm['calls_per_s'] / shm['calls_per_s'])}× the sequential "
                         f"shared-memory rate ({fmt(shm['calls_per_s'])} calls/s)")
            if pc is not None and pp is not None:
                line += f"; per call {fmt(pc)} µs of client CPU and {fmt(pp)} µs of host CPU"
            line += "."
        if capnp_pipe and capnp:
            line += (f" Plain Cap'n Proto gains {fmt(capnp_pipe['calls_per_s'] / capnp['calls_per_s'])}× "
                     f"the same way ({fmt(capnp_pipe['calls_per_s'])} vs {fmt(capnp['calls_per_s'])} calls/s).")
        out.append(line)

    if cold:
        line = (f"- **Cold start** ({status('cold_start_p50_ms')}): p50 {fmt(cold['p50_us'] / 1000)} ms "
                f"from Host::spawn to the first reply")
        if exec_true:
            line += (f"; fork + exec of /bin/true alone takes {fmt(exec_true['p50_us'] / 1000)} ms "
                     f"({fmt(cold['p50_us'] / exec_true['p50_us'])}×)")
        out.append(line + ".")

    for name, label in [("idle_rss_host32", "Idle bitbridge-host32"), ("idle_rss_host64", "Idle bitbridge-host64")]:
        entry = case(results, name)
        if entry is None:
            continue
        line = f"- **{label}**"
        if name == "idle_rss_host32":
            line += f" ({status('idle_rss_host32_mib')})"
        line += (f": VmRSS {fmt(entry['kib'])} KiB = {entry['kib'] / 1024:.2f} MiB, of which "
                 f"{fmt(entry.get('rss_file_kib'))} KiB are file-backed (shared-library pages) "
                 f"and {fmt(entry.get('rss_anon_kib'))} KiB anonymous; proportional share (PSS) "
                 f"{fmt(entry.get('pss_kib'))} KiB.")
        mappings = entry.get("rss_by_mapping_kib")
        if mappings:
            parts = [f"{name} {fmt(kib)}" for name, kib in mappings.items()]
            line += " Resident KiB by mapping: " + ", ".join(parts) + "."
        out.append(line)

    if spin and pair:
        out.append(f"- **Floors**: spinning on shared memory round-trips in {fmt(spin['p50_us'])} µs "
                   f"(p50), {fmt(pair['p50_us'] / spin['p50_us'])}× below the socketpair's "
                   f"{fmt(pair['p50_us'])} µs.")
    return "\n".join(out)


BULK_SIZES = [("1MiB", "1 MiB"), ("64MiB", "64 MiB"), ("1GiB", "1 GiB")]


def bulk_block(bulk, results, command):
    """The table of bitbridge-bulk-bench and the figures behind the 1 GiB claim."""
    machine = bulk.get("machine", {})
    cases = bulk.get("cases", {})
    out = []
    out.append(f"{machine.get('client_bits', '?')}-bit client → {machine.get('host_bits', '?')}-bit "
               f"host over the `{machine.get('transport', '?')}` transport; Data chunks of "
               f"{machine.get('data_chunk_bytes', 0) >> 20} MiB; host window "
               f"{machine.get('host_window_bytes', 0) >> 20} MiB. Load average at start "
               f"{machine.get('load_average', '?')}, {machine.get('date', '?')}.")
    out.append("")
    out.append("```sh")
    out.append(command)
    out.append("```")
    out.append("")
    out.append("| size | reps | host windows | bulk ms | Data ms | memcpy ms | data/bulk | bulk/memcpy |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")

    def ms(entry):
        return entry["p50_us"] / 1000 if entry else None

    def ratio_text(value):
        if value is None:
            return "–"
        if value >= 100:
            return f"{value:,.0f}×"
        if value >= 0.1:
            return f"{value:.2f}×"
        return f"{value:.2g}×"

    for key, label in BULK_SIZES:
        b, d, m = cases.get("bulk_" + key), cases.get("data_" + key), cases.get("memcpy_" + key)
        if not (b and d and m):
            continue
        out.append(f"| {label} | {b['reps']} | {b.get('windows', '–')} | {ms(b):.3f} | {ms(d):.3f} | "
                   f"{ms(m):.3f} | {ratio_text(d['p50_us'] / b['p50_us'])} | "
                   f"{ratio_text(b['p50_us'] / m['p50_us'])} |")
    out.append("")
    out.append("(medians of the reps; *bulk*: one call carrying a `BulkRef` to a buffer already in "
               "shared memory; *Data*: the bytes copied to the host in Data messages and back; "
               "*memcpy*: copying them there and back within the client.)")

    b, d, m = cases.get("bulk_1GiB"), cases.get("data_1GiB"), cases.get("memcpy_1GiB")
    b1 = cases.get("bulk_1MiB")
    null = case(results, "bitbridge_uds_64to32") if results else None
    if b and d and m:
        out.append("")
        line = ("The issue's claim, *handing a 1 GiB buffer to a host costs about one call, not a "
                f"copy*, measured: passing 1 GiB by reference took {ms(b):.3f} ms (p50), against "
                f"{ms(d):,.0f} ms to copy it to the host and back through Data messages "
                f"({ratio_text(d['p50_us'] / b['p50_us'])} as long) and {ms(m):,.0f} ms for a memcpy "
                f"there and back inside the client (the reference takes "
                f"{ratio_text(b['p50_us'] / m['p50_us'])} of that)")
        if b1:
            line += (f"; for 1 MiB the same call took {ms(b1):.3f} ms, so 1024 times the bytes cost "
                     f"{ratio_text(b['p50_us'] / b1['p50_us'])} the time")
        line += "."
        if null:
            calls = b["p50_us"] / null["p50_us"]
            line += (f" A null call over the same transport (`bitbridge_uds_64to32`, same run of "
                     f"scripts/bench.sh) takes {fmt(null['p50_us'])} µs, so the 1 GiB hand-over is "
                     f"{calls:.1f} null calls' worth")
            windows = b.get("windows")
            if windows and windows > 1:
                line += (f" (the 32-bit host maps the buffer as {windows} successive windows, "
                         f"an mmap, two page faults and an munmap each, inside that one call)")
            if calls <= 2:
                line += ": about one call, as claimed, and not a copy."
            elif calls <= 10:
                line += (f": a few calls rather than one, while the copy takes {ratio_text(d['p50_us'] / b['p50_us'])} "
                         f"as long.")
            else:
                line += (": more than ten calls, so \"about one call\" does not hold on this run; "
                         "\"not a copy\" does.")
        else:
            line += "."
        out.append(line)
    return "\n".join(out)


def replace_block(text, name, body):
    pattern = re.compile(
        r"(<!-- BEGIN bench:%s[^>]*-->\n).*?(\n<!-- END bench:%s -->)" % (name, name), re.S)
    if not pattern.search(text):
        sys.exit(f"render_report.py: no '<!-- BEGIN bench:{name} -->' ... "
                 f"'<!-- END bench:{name} -->' block in the markdown file")
    return pattern.sub(lambda m: m.group(1) + body + m.group(2), text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--plot-data")
    parser.add_argument("--markdown")
    parser.add_argument("--command", default="scripts/bench.sh")
    parser.add_argument("--one-cpu", help="results of the --pin-cpu diagnostic run")
    parser.add_argument("--plot-rate-data")
    parser.add_argument("--bulk", help="JSON of bitbridge-bulk-bench (block bench:bulk)")
    parser.add_argument("--bulk-command", default="bitbridge-bulk-bench --json docs/bench/bulk.json")
    args = parser.parse_args()
    with open(args.results, encoding="utf-8") as f:
        results = json.load(f)

    if args.plot_data:
        with open(args.plot_data, "w", encoding="utf-8") as f:
            f.write("# case p50_us p99_us\n")
            for name, entry in results["cases"].items():
                if "p50_us" in entry and "p99_us" in entry:
                    f.write(f"{name} {entry['p50_us']} {entry['p99_us']}\n")

    if args.plot_rate_data:
        # The RPC cases' call rates, sequential and pipelined side by side.
        with open(args.plot_rate_data, "w", encoding="utf-8") as f:
            f.write("# case calls_per_s\n")
            for name, entry in results["cases"].items():
                if "calls_per_s" in entry and name.startswith(("capnp_", "bitbridge_", "pipelined_")):
                    f.write(f"{name} {entry['calls_per_s']}\n")

    if args.markdown:
        with open(args.markdown, encoding="utf-8") as f:
            text = f.read()
        text = replace_block(text, "results", results_block(results, args.command))
        limits = limits_block(results)
        if args.one_cpu:
            with open(args.one_cpu, encoding="utf-8") as f:
                limits += "\n\n" + one_cpu_block(results, json.load(f))
        text = replace_block(text, "limits", limits)
        if args.bulk:
            with open(args.bulk, encoding="utf-8") as f:
                text = replace_block(text, "bulk", bulk_block(json.load(f), results, args.bulk_command))
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
