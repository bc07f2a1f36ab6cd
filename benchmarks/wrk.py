"""wrk (Debian) for the benchmarks: one bounded run on loopback over a list of paths in turn, with
its req/s, p50/p99 latency, non-2xx answers and timeouts parsed from wrk's report."""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
from typing import Any

LUA = """
paths = {%s}
headers = {%s}
i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i], headers)
end
"""


def _ms(value: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)", value)
    if not m:
        return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[m.group(2)]


def run_wrk(
    base: str, paths: list[str], headers: dict[str, str], conns: int, secs: int
) -> dict[str, Any]:
    lua = LUA % (
        ", ".join(json.dumps(p) for p in paths),
        ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()),
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(lua)
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{secs}s", "--timeout", "10s", "--latency", "-s", f.name,
           base]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=secs + 60, check=True).stdout
    os.unlink(f.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    timeouts = re.search(r"timeout (\d+)", out)
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", out, re.M))
    return {
        "rps": rps,
        "requests": total,
        "p50": _ms(lat.get("50", "")),
        "p99": _ms(lat.get("99", "")),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "timeouts": int(timeouts.group(1)) if timeouts else 0,
    }
