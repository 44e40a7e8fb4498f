"""A throwaway Ray cluster on this machine (a head and extra nodes, one CPU each), for tests and
benchmarks of ``hipdrop batch --ray``: real ``ray start`` processes, as a cluster would run them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from hipdrop.errors import HipdropError


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray_cli() -> list[str]:
    exe = Path(sys.executable).with_name("ray")
    if exe.is_file():
        return [str(exe)]
    found = shutil.which("ray")
    if found is None:
        raise HipdropError("the `ray` command is not installed: pip install 'hipdrop[cluster]'")
    return [found]


@contextlib.contextmanager
def local_cluster(nodes: int = 2, cpus_per_node: int = 1,
                  object_store_mb: int = 200) -> Iterator[str]:
    """Start ``nodes`` Ray nodes here (the first is the head); yield the address; stop them all.

    The nodes inherit this process's environment (PYTHONPATH included), so their workers import
    the same hipdrop. They listen on 127.0.0.1 only, without Ray's token authentication (which a
    token file left in ~/.ray by an earlier local ``ray.init`` would switch on for the head but
    not for the nodes joining it); this process connects the same way while the cluster is up.
    ``ray stop --force`` in the end stops every Ray node of this machine.
    """
    ray = _ray_cli()
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = [f"--num-cpus={cpus_per_node}", f"--object-store-memory={object_store_mb * 2**20}",
              "--disable-usage-stats"]
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_USAGE_STATS_ENABLED")}
    os.environ.update(RAY_AUTH_MODE="disabled", RAY_USAGE_STATS_ENABLED="0")
    env = dict(os.environ)

    def start(*args: str) -> None:
        done = subprocess.run([*ray, "start", *args, *common], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, timeout=120, check=False)
        if done.returncode != 0:
            tail = (done.stderr or "").strip().splitlines()[-1:] or ["no message"]
            raise HipdropError(f"`ray start {' '.join(args)}` failed: {tail[0]}")

    try:
        start("--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false")
        for _ in range(nodes - 1):
            start(f"--address={address}", "--node-ip-address=127.0.0.1")
        yield address
    finally:
        subprocess.run([*ray, "stop", "--force"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120, check=False)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
