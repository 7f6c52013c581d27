"""Cloud Storage benchmark: a large resumable upload through the emulator against copying the same file.

Run: `.venv/bin/python benchmarks/bench_storage_upload.py [--size-mib 1024] [--rounds 5] [--chunk-mib 100]`.
Writes a file of random bytes under /tmp, starts a real emulator on a free loopback port with
its data dir under /tmp too (the same disk), and per round: copies the file (`shutil.copyfile`,
the baseline) and uploads it with the resumable protocol in `--chunk-mib` chunks (POST, then a
PUT per chunk with Content-Range, 308 between chunks, 200 at the end), as google-cloud-storage
does with its default 100 MiB chunk. Neither side fsyncs. Prints min/median/max for both, the
ratio of the medians, the server's CPU time per upload (a figure that a busy machine disturbs
less than wall time) and the server's peak RSS (VmHWM) before and after the uploads.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import http.client
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui.emulator.process import start_emulator  # noqa: E402

MIB = 1024 * 1024
READ = MIB


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc status")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def make_file(path: Path, size: int) -> str:
    digest = hashlib.md5()
    with open(path, "wb") as out:
        left = size
        while left:
            block = os.urandom(min(READ, left))
            digest.update(block)
            out.write(block)
            left -= len(block)
    return base64.b64encode(digest.digest()).decode()


def file_pieces(handle, length: int):
    while length:
        block = handle.read(min(READ, length))
        if not block:
            raise RuntimeError("the file ended early")
        length -= len(block)
        yield block


def request(url: str, method: str, path: str, body=None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=600)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.headers), response.read()
    finally:
        conn.close()


def upload(url: str, key: str, source: Path, size: int, chunk: int) -> bytes:
    auth = {"Authorization": f"Bearer {key}"}
    status, headers, body = request(url, "POST", "/upload/storage/v1/b/bench-bucket/o?uploadType=resumable"
                                    "&name=bench.bin", b"", auth | {"X-Upload-Content-Length": str(size)})  # fmt: skip
    if status != 200:
        raise RuntimeError(f"starting the session: HTTP {status} {body[:200]!r}")
    session = urlsplit(headers["Location"])
    target = f"{session.path}?{session.query}"
    with open(source, "rb") as handle:
        first = 0
        while first < size:
            length = min(chunk, size - first)
            last = first + length - 1
            status, headers, body = request(url, "PUT", target, file_pieces(handle, length),
                                            {"Content-Length": str(length),
                                             "Content-Range": f"bytes {first}-{last}/{size}"})  # fmt: skip
            expected = 200 if last == size - 1 else 308
            if status != expected:
                raise RuntimeError(f"chunk {first}-{last}: HTTP {status}, expected {expected}: {body[:200]!r}")
            first = last + 1
    return body


def spread(values: list[float]) -> str:
    return f"min {min(values):.2f} s, median {statistics.median(values):.2f} s, max {max(values):.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB (default 1024)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of copy + upload (default 5)")
    parser.add_argument("--chunk-mib", type=int, default=100, help="resumable chunk size in MiB (default 100)")
    args = parser.parse_args()
    size, chunk = args.size_mib * MIB, args.chunk_mib * MIB
    if chunk % (256 * 1024):
        parser.error("--chunk-mib must give a multiple of 256 KiB")
    with tempfile.TemporaryDirectory(prefix="tunedeck-bench-storage-", dir="/tmp") as scratch:
        work = Path(scratch)
        source = work / "source.bin"
        print(f"writing {args.size_mib} MiB of random bytes to {source} ...", flush=True)
        md5 = make_file(source, size)
        emulator = start_emulator(work / "emulator", port=0)
        try:
            status, _, body = request(emulator.url, "POST", "/storage/v1/b?project=bench", b'{"name": "bench-bucket"}',
                                      {"Authorization": f"Bearer {emulator.api_key}"})  # fmt: skip
            if status != 200:
                raise RuntimeError(f"bucket create: HTTP {status} {body[:200]!r}")
            rss_before = peak_rss_mib(emulator.pid)
            copies, uploads, server_cpu = [], [], []
            for number in range(1, args.rounds + 1):
                started = time.perf_counter()
                shutil.copyfile(source, work / "copy.bin")
                copies.append(time.perf_counter() - started)
                (work / "copy.bin").unlink()
                started, cpu = time.perf_counter(), cpu_seconds(emulator.pid)
                answer = upload(emulator.url, emulator.api_key, source, size, chunk)
                uploads.append(time.perf_counter() - started)
                server_cpu.append(cpu_seconds(emulator.pid) - cpu)
                if f'"md5Hash":"{md5}"' not in answer.decode():
                    raise RuntimeError(f"round {number}: the stored object's MD5 is not the file's: {answer[:300]!r}")
                print(f"round {number}: copy {copies[-1]:.2f} s, upload {uploads[-1]:.2f} s "
                      f"(server CPU {server_cpu[-1]:.2f} s)", flush=True)
            rss_after = peak_rss_mib(emulator.pid)
        finally:
            emulator.stop()
    ratio = statistics.median(uploads) / statistics.median(copies)
    rate = args.size_mib / statistics.median(uploads)
    print(f"\n{args.size_mib} MiB, {args.rounds} rounds, resumable chunks of {args.chunk_mib} MiB")
    print(f"copy (baseline):  {spread(copies)}")
    print(f"resumable upload: {spread(uploads)}  ({rate:.0f} MiB/s median)")
    print(f"upload / copy (medians): {ratio:.1f}x")
    per_gib = statistics.median(server_cpu) / args.size_mib * 1024
    print(f"server CPU per upload: {spread(server_cpu)} ({per_gib:.2f} s per GiB)")
    print(f"server peak RSS (VmHWM): {rss_before:.0f} MiB before the uploads, {rss_after:.0f} MiB after")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
