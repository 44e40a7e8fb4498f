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
    the same hipdrop. ``ray stop --force`` in the end stops every Ray node of this machine.
    """
    ray = _ray_cli()
    port = free_port()
    address = f"127.0.0.1:{port}"
    common = [f"--num-cpus={cpus_per_node}", f"--object-store-memory={object_store_mb * 2**20}",
              "--disable-usage-stats"]
    env = dict(os.environ, RAY_USAGE_STATS_ENABLED="0")
    try:
        subprocess.run([*ray, "start", "--head", f"--port={port}", "--node-ip-address=127.0.0.1",
                        "--include-dashboard=false", *common], check=True, env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        for _ in range(nodes - 1):
            subprocess.run([*ray, "start", f"--address={address}", "--node-ip-address=127.0.0.1",
                            *common], check=True, env=env, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, timeout=120)
        yield address
    finally:
        subprocess.run([*ray, "stop", "--force"], env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, timeout=120, check=False)
