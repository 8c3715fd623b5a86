#!/usr/bin/env python3
"""Benchmark `chainward pipeline audit` against zizmor on every workflow of the corpus, side by side.

    python3 bench/pipeline.py [--runs 11] [--zizmor PATH] [--out bench/out]

Prepares everything itself: builds chainward (release) and installs zizmor from PyPI into
OUT/zizmor-VERSION (`pip install zizmor==1.30.0`: the release the corpus's snapshots were taken
with, 1.30.0-rc1, so that differences in findings are ours, not the peer's later changes). The inputs are every file the corpus's cases.tsv names
(../shared/corpus/workflows/cases/*/...) and the two real-world repositories
(../shared/corpus/workflows/real-world/{libssh2,warehouse}), given to both tools in one
invocation, offline, default persona, no config file. Then it runs chainward, zizmor and the
physical limit (reading every input file once, `cat`) interleaved, RUNS times each, and
reports medians of whole-process wall time and peak RSS (GNU time's %M).

It also compares the findings: the count per (file, audit id) from each tool's JSON output,
over the audits both implement offline; every difference is listed so that it can be
explained in docs/benchmarks.md.

Writes a Markdown report to stdout and OUT/pipeline.md. Not a test: no assertions.
"""

import argparse
import collections
import csv
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus" / "workflows"
ZIZMOR_VERSION = "1.30.0"


def sh(cmd, **kw):
    subprocess.run(cmd, check=True, **kw)


def run_measured(cmd, ok_codes=(0, 1)):
    """Runs cmd with stdout discarded; returns (wall seconds, peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if proc.returncode not in ok_codes:
            sys.exit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd[:4]))} ...\n"
                     f"{proc.stderr.decode(errors='replace')[-2000:]}")
        rss_kib = int(rss_file.read().split()[-1])
    return wall, rss_kib / 1024.0


def corpus_inputs():
    """Every input file named by cases.tsv, plus the real-world trees, as absolute paths."""
    files = set()
    with open(CORPUS / "cases.tsv", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            path = CORPUS / "cases" / row["case"] / row["input"]
            if path.is_file():
                files.add(path.resolve())
            elif path.is_dir():
                files.update(p.resolve() for p in path.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))
    for tree in ("libssh2", "warehouse"):
        root = CORPUS / "real-world" / tree / ".github"
        files.update(p.resolve() for p in root.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))
    return sorted(files)


def zizmor_findings(zizmor, inputs):
    out = subprocess.run([zizmor, "--offline", "--no-config", "--no-progress", "--format", "json", *map(str, inputs)],
                         capture_output=True)
    if out.returncode not in range(0, 20):
        sys.exit(f"zizmor failed ({out.returncode}): {out.stderr.decode(errors='replace')[-2000:]}")
    counts = collections.Counter()
    for finding in json.loads(out.stdout):
        if finding.get("ignored"):
            continue
        primary = next((l for l in finding["locations"] if l["symbolic"].get("kind") == "Primary"),
                       finding["locations"][0])
        key = primary["symbolic"]["key"]
        local = key.get("Local", {})
        path = local.get("verbatim_path") or local.get("given_path") or str(key)
        counts[(str(Path(path).resolve()), finding["ident"])] += 1
    return counts


def chainward_findings(chainward, inputs):
    out = subprocess.run([chainward, "pipeline", "audit", "--format", "json", *map(str, inputs)], capture_output=True)
    if out.returncode not in (0, 1):
        sys.exit(f"chainward failed ({out.returncode}): {out.stderr.decode(errors='replace')[-2000:]}")
    report = json.loads(out.stdout)
    counts = collections.Counter()
    for finding in report["findings"]:
        counts[(str(Path(finding["primary"]["file"]).resolve()), finding["id"])] += 1
    return counts, report.get("errors", [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=11)
    ap.add_argument("--zizmor")
    ap.add_argument("--out", default=str(ROOT / "bench" / "out"))
    args = ap.parse_args()
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)

    sh(["cargo", "build", "--release", "-q", "-p", "chainward"], cwd=ROOT)
    chainward = str(ROOT / "target" / "release" / "chainward")
    zizmor = args.zizmor
    if not zizmor:
        env = out_dir / f"zizmor-{ZIZMOR_VERSION}"
        zizmor = str(env / "bin" / "zizmor")
        if not Path(zizmor).exists():
            sh([sys.executable, "-m", "venv", str(env)])
            sh([str(env / "bin" / "pip"), "install", "-q", f"zizmor=={ZIZMOR_VERSION}"])
    zizmor_version = subprocess.run([zizmor, "--version"], capture_output=True, text=True).stdout.strip()

    inputs = corpus_inputs()
    total_bytes = sum(p.stat().st_size for p in inputs)

    commands = {
        "chainward": [chainward, "pipeline", "audit", "--format", "json", *map(str, inputs)],
        "zizmor": [zizmor, "--offline", "--no-config", "--no-progress", "--format", "json", *map(str, inputs)],
        "limit": ["cat", *map(str, inputs)],
    }
    samples = {name: [] for name in commands}
    for name, cmd in commands.items():  # warm-up: page cache, venv imports
        run_measured(cmd, ok_codes=range(0, 20))
    for _ in range(args.runs):
        for name, cmd in commands.items():
            samples[name].append(run_measured(cmd, ok_codes=range(0, 20)))

    def median(name, i):
        return statistics.median(s[i] for s in samples[name])

    cw_t, z_t, lim_t = median("chainward", 0), median("zizmor", 0), median("limit", 0)
    cw_m, z_m = median("chainward", 1), median("zizmor", 1)

    z_counts = zizmor_findings(zizmor, inputs)
    c_counts, errors = chainward_findings(chainward, inputs)
    shared_ids = set(i for _, i in c_counts) & set(i for _, i in z_counts)
    diffs = []
    for key in sorted(set(z_counts) | set(c_counts)):
        if key[1] not in shared_ids:
            continue
        if z_counts[key] != c_counts[key]:
            diffs.append((key, c_counts[key], z_counts[key]))
    only_z = sorted(collections.Counter({i: n for (_, i), n in z_counts.items() if i not in shared_ids}).items())
    only_c = sorted(collections.Counter({i: n for (_, i), n in c_counts.items() if i not in shared_ids}).items())

    cpu = platform.processor() or "unknown CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        f"Machine: {os.cpu_count()} cores, {cpu}, Linux {platform.release()}; date {time.strftime('%Y-%m-%d')}; "
        f"{zizmor_version}; {len(inputs)} files, {total_bytes / 1024:.0f} KiB; median of {args.runs} interleaved runs.",
        "",
        "| tool | wall | peak RSS | vs zizmor | ÷ limit |",
        "|---|---|---|---|---|",
        f"| chainward | {cw_t:.3f} s | {cw_m:.1f} MiB | {z_t / cw_t:.1f}× faster | {cw_t / lim_t:.1f} |",
        f"| zizmor | {z_t:.3f} s | {z_m:.1f} MiB | 1.0× | {z_t / lim_t:.1f} |",
        f"| limit: read every file once (`cat`) | {lim_t:.3f} s | | | 1.0 |",
        "",
        f"Findings (default persona, offline): chainward {sum(c_counts.values())}, zizmor {sum(z_counts.values())}; "
        f"{len(shared_ids)} audits in both; {len(diffs)} (file, audit) counts differ.",
        f"Inputs chainward could not audit: {len(errors)}.",
        "",
        "| file | audit | chainward | zizmor |",
        "|---|---|---|---|",
    ]
    for (path, ident), c, z in diffs:
        rel = os.path.relpath(path, CORPUS)
        lines.append(f"| {rel} | {ident} | {c} | {z} |")
    lines += ["", f"Only zizmor reports: {only_z}", f"Only chainward reports: {only_c}", ""]
    lines += ["Errors:"] + [f"- {e}" for e in errors]
    text = "\n".join(lines) + "\n"
    (out_dir / "pipeline.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
