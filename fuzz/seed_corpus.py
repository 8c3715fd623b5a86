#!/usr/bin/env python3
"""Writes seed inputs for the fuzz targets into fuzz/corpus/TARGET/ (git-ignored).

Seeds are small valid inputs the fuzzer mutates from: tar streams with every entry kind
chainward reads (files, directories, symlinks and hard links, escapes, whiteouts, GNU long
names, PAX records), manifests, an index.json template for `oci_layout`, and package
databases from ../shared when it is there. Run from anywhere: `python3 fuzz/seed_corpus.py`.
"""

import io
import json
import os
import shutil
import tarfile

FUZZ = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(FUZZ, "corpus")
SHARED = os.path.normpath(os.path.join(FUZZ, "..", "..", "shared"))


def put(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tar(entries, fmt=tarfile.GNU_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as t:
        for name, kind, arg in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(arg)
                t.addfile(info, io.BytesIO(arg))
                continue
            if kind == "dir":
                info.type = tarfile.DIRTYPE
            elif kind == "symlink":
                info.type = tarfile.SYMTYPE
                info.linkname = arg
            elif kind == "hardlink":
                info.type = tarfile.LNKTYPE
                info.linkname = arg
            t.addfile(info)
    return buf.getvalue()


def tar_seeds():
    base = [
        ("etc/", "dir", None),
        ("etc/os-release", "file", b"ID=debian\nVERSION_ID=12\n"),
        ("usr/lib/os-release", "symlink", "../../etc/os-release"),
        ("var/lib/dpkg/status", "file", b"Package: a\nVersion: 1.0\n\n"),
        ("bin", "symlink", "usr/bin"),
        ("usr/bin/sh", "file", b"#!"),
        ("usr/bin/dash", "hardlink", "usr/bin/sh"),
    ]
    hostile = [
        ("../../etc/passwd", "file", b"root\n"),
        ("/etc/shadow", "symlink", "../../../../host/secret"),
        ("loop1", "symlink", "loop2"),
        ("loop2", "symlink", "loop1"),
        ("x", "hardlink", "../../outside"),
        ("etc/.wh.os-release", "file", b""),
        ("usr/.wh..wh..opq", "file", b""),
        (".wh...", "file", b""),
    ]
    long = [("a/" * 80 + "file", "file", b"long"), ("l" * 120, "symlink", "t" * 120)]
    seeds = {
        "base": tar(base),
        "hostile": tar(hostile),
        "gnu-long": tar(long, tarfile.GNU_FORMAT),
        "pax-long": tar(long, tarfile.PAX_FORMAT),
        "ustar": tar(base, tarfile.USTAR_FORMAT),
    }
    for name, data in seeds.items():
        # Flag byte: bit 0 recomputes checksums (valid already, but mutations then stay
        # valid), bit 1 splits into two layers at the little-endian u16 that follows.
        put("tar_walk", name, b"\x01" + data)
        put("tar_walk", name + "-raw", b"\x00" + data)
    lower, upper = tar(base), tar(hostile)
    n = len(lower)
    put("tar_walk", "two-layers", b"\x03" + bytes([n & 0xFF, n >> 8]) + lower + upper)


def manifest_seeds():
    d = "sha256:" + "ab" * 32
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": d, "size": 2},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": 3}],
        "annotations": {"a": "b"},
    }
    index = {
        "schemaVersion": 2,
        "manifests": [
            {"digest": d, "size": 1, "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }
    config = {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
              "rootfs": {"type": "layers", "diff_ids": [d]}}
    for name, doc in [("manifest", manifest), ("index", index), ("config", config)]:
        put("manifest", name, json.dumps(doc).encode())
    oci_index = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "@MANIFEST",
            "size": "@SIZE",
            "annotations": {"org.opencontainers.image.ref.name": "latest"},
        }],
    }
    put("oci_layout", "index", json.dumps(oci_index).replace('"@SIZE"', "@SIZE").encode())


def text_seeds():
    put("os_release", "debian", b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'
        b"VERSION_CODENAME=bookworm\n# comment\nNAME='x \\\"y\\\"'\n")
    put("apk_installed", "sample", b"C:Q1abc=\nP:musl\nV:1.2.5-r0\nA:x86_64\nL:MIT\no:musl\n\nP:nover\n\n")
    put("dpkg_status", "sample", b"Package: a\nStatus: install ok installed\nVersion: 1:2.0-1\n"
        b"Source: src (2.0-1)\nArchitecture: amd64\nDescription: x\n more\n\nPackage: b\nVersion: 1.0-\n")
    for ref in [b"debian:12", b"docker.io/library/alpine@sha256:" + b"ab" * 32, b"localhost:5000/a/b:t",
                b"ghcr.io/o/r:v1@sha256:" + b"cd" * 32]:
        put("reference", ref.decode().replace("/", "_").replace(":", "_")[:60], ref)


def shared_seeds():
    pkgdb = os.path.join(SHARED, "corpus", "pkgdb")
    if not os.path.isdir(pkgdb):
        print(f"note: {pkgdb} is missing; no package-database seeds")
        return
    for root, _dirs, files in os.walk(pkgdb):
        for f in files:
            path = os.path.join(root, f)
            if os.path.getsize(path) > 512 * 1024:
                continue
            case = os.path.relpath(root, pkgdb).replace(os.sep, "_")
            target = {"status": "dpkg_status", "installed": "apk_installed", "os-release": "os_release",
                      "Packages": "rpm_bdb", "Packages.db": "rpm_ndb"}.get(f)
            if target:
                os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
                shutil.copyfile(path, os.path.join(CORPUS, target, case))

if __name__ == "__main__":
    tar_seeds()
    manifest_seeds()
    text_seeds()
    shared_seeds()
    print(f"seeds written under {CORPUS}")
