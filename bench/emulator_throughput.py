"""Emulator speed: list latency with 1,000 endpoints, and sustained get+pause+resume requests/s.

Runs `hfwarden emulator` as its own process pinned to one core (the target is "on one core"), and
drives it from this process over loopback. Prints figures; asserts nothing.

    .venv/bin/python bench/emulator_throughput.py [--endpoints 1000] [--seconds 5] [--threads 4]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
from _emulator import TOKEN, start_emulator
from huggingface_hub import HfApi, constants


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoints", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    if os.cpu_count() and os.cpu_count() > 1:  # type: ignore[operator]
        os.sched_setaffinity(0, set(range(1, os.cpu_count() or 2)))

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HF_HOME"] = tmp
        seed = Path(tmp) / "seed.json"
        seed.write_text(
            json.dumps(
                [
                    {"namespace": "bench", "name": f"ep-{i:04d}", "instance": "aws/us-east-1/nvidia-l4/x1"}
                    for i in range(args.endpoints)
                ]
            )
        )
        process, base = start_emulator(seed)
        try:
            headers = {"Authorization": f"Bearer {TOKEN}"}
            with httpx.Client(base_url=base, headers=headers) as client:
                raw = []
                for _ in range(30):
                    started = time.perf_counter()
                    client.get("/v2/endpoint/bench").raise_for_status()
                    raw.append(time.perf_counter() - started)
            constants.INFERENCE_ENDPOINTS_ENDPOINT = f"{base}/v2"
            api = HfApi(endpoint=base, token=TOKEN)
            parsed = []
            for _ in range(30):
                started = time.perf_counter()
                assert len(api.list_inference_endpoints(namespace="bench")) == args.endpoints
                parsed.append(time.perf_counter() - started)
            n = args.endpoints
            print(f"list of {n} endpoints, median of 30, HTTP + JSON: {statistics.median(raw) * 1000:.1f} ms")
            print(f"list of {n} endpoints, median of 30, via the client: {statistics.median(parsed) * 1000:.1f} ms")

            counts = [0] * args.threads
            deadline = time.perf_counter() + args.seconds

            def worker(index: int) -> None:
                with httpx.Client(base_url=base, headers=headers) as client:
                    i = index
                    while time.perf_counter() < deadline:
                        name = f"ep-{i % args.endpoints:04d}"
                        client.get(f"/v2/endpoint/bench/{name}").raise_for_status()
                        client.post(f"/v2/endpoint/bench/{name}/pause").raise_for_status()
                        client.post(f"/v2/endpoint/bench/{name}/resume").raise_for_status()
                        counts[index] += 3
                        i += args.threads

            started = time.perf_counter()
            threads = [threading.Thread(target=worker, args=(n,)) for n in range(args.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
            print(
                f"sustained get+pause+resume, emulator on one core, {args.threads} client connections: "
                f"{sum(counts) / elapsed:.0f} requests/s ({sum(counts)} in {elapsed:.1f} s)"
            )
        finally:
            process.terminate()
            process.wait(10)


if __name__ == "__main__":
    main()
