"""Where the server memory of an idle open websocket goes (issue #7: < 40 KB per connection).

For each target it opens N websockets, lets them sit idle, and splits the growth of the Granian
worker's resident anonymous memory into pages that hold only zero bytes and pages that hold data,
by reading the worker's own pages (/proc/PID/pagemap + /proc/PID/mem, same user). A page full of
zeros that is resident was *written* (with zeros): the kernel maps untouched pages to nothing.

Targets:

* ``bare``: a minimal ASGI echo app (``bare_app`` below, a few lines), served by Granian with the
  same settings as ``ventanilla serve``. It is the floor of any ASGI app on this Granian.
* ``relay``: bench/relay.py. Half the sockets are citizens (``hello``), half agents (``hello``,
  ``subscribe``, ``ping``), as bench/load.py drives it.
* ``ventanilla``: bench/load.py runs (``--targets ventanilla --rates 50 --duration 1``) and this
  script reads the worker while load.py lets the sockets settle.

With ``--python-heap`` each target runs a second time with tracemalloc started in the worker
just before the sockets open (through a sitecustomize on PYTHONPATH and SIGUSR2/SIGUSR1), which
gives the Python heap per socket. tracemalloc inflates RSS, so that run only reports the heap.
``--env K=V`` (repeatable) adds a variable to the server's environment, e.g.
``--env _RJEM_MALLOC_CONF=dirty_decay_ms:0`` (Granian's allocator is a static jemalloc that reads
``_RJEM_MALLOC_CONF``).

``--ksm`` turns on the kernel's merging of identical pages for the run (root; the host's
``/sys/kernel/mm/ksm`` values are put back at the end): ``run`` = 1, ``use_zero_pages`` = 1 and
``pages_to_scan`` as given, and opts this script in (``prctl(PR_SET_MEMORY_MERGE)``, Linux 6.7+),
so that every server it starts inherits the opt-in. Pages of zeros are then mapped to the
kernel's zero page: they still read as zeros (the zero-page column) but leave RSS; the
``ksm-zero`` column counts them. Give it a long ``--settle`` (60 s+). Finding (2026-11-29):
it folds Granian's 128 KiB read buffer of a socket that receives nothing, but the next frame
the socket receives rewrites the whole buffer and brings the 128 KiB back, so with Ventanilla's
heartbeat (the client answers every 25 s) idle sockets do not stay merged (bench/README.md).

    .venv/bin/python bench/mem_socket.py                        # bare, relay: 2000 sockets
    .venv/bin/python bench/mem_socket.py --targets bare,relay,ventanilla --python-heap
    .venv/bin/python bench/mem_socket.py --targets bare,ventanilla --ksm --settle 90
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import websockets
from load import free_port, log  # bench/ is on sys.path when run as a script

BENCH = Path(__file__).resolve().parent
PAGE = os.sysconf("SC_PAGE_SIZE")
ZERO = bytes(PAGE)

# Installed in the server (PYTHONPATH) for --python-heap: SIGUSR2 starts tracemalloc, SIGUSR1
# writes the traced total to $MEMSOCK_DIR/heap-<pid>.json.
SITECUSTOMIZE = """
import json, os, signal, tracemalloc
def _start(signum, frame):
    tracemalloc.start(1)
def _dump(signum, frame):
    current, _peak = tracemalloc.get_traced_memory()
    with open(os.path.join(os.environ["MEMSOCK_DIR"], f"heap-{os.getpid()}.json"), "w") as f:
        json.dump({"traced_bytes": current}, f)
signal.signal(signal.SIGUSR2, _start)
signal.signal(signal.SIGUSR1, _dump)
"""


async def bare_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The least an ASGI websocket app can be: accept, echo each text frame."""
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        while (msg := await receive())["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": msg.get("text") or ""})
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b'{"status":"ok"}'})
    elif scope["type"] == "lifespan":
        while True:
            msg = await receive()
            await send({"type": msg["type"] + ".complete"})
            if msg["type"] == "lifespan.shutdown":
                return


def children(pid: int) -> list[int]:
    """All descendants of pid."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = Path(f"/proc/{entry}/stat").read_text()
                parent[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out.extend(kids)
        todo.extend(kids)
    return out


def rss_kib(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def scan(pid: int) -> dict[str, int]:
    """Resident private anonymous memory of pid (KiB): pages of zeros vs pages with data."""
    zero = data = 0
    with (
        open(f"/proc/{pid}/maps") as maps,
        open(f"/proc/{pid}/pagemap", "rb") as pagemap,
        open(f"/proc/{pid}/mem", "rb") as mem,
    ):
        for line in maps:
            fields = line.split()
            if len(fields) > 5 or not fields[1].startswith("rw"):  # file-backed or read-only
                continue
            start, end = (int(x, 16) for x in fields[0].split("-"))
            pages = (end - start) // PAGE
            pagemap.seek(start // PAGE * 8)
            entries = pagemap.read(pages * 8)
            for i in range(len(entries) // 8):
                if not struct.unpack_from("Q", entries, i * 8)[0] >> 63:  # not present
                    continue
                try:
                    mem.seek(start + i * PAGE)
                    page = mem.read(PAGE)
                except OSError:
                    continue
                if page == ZERO:
                    zero += 1
                else:
                    data += 1
    return {
        "zero_kib": zero * PAGE // 1024,
        "data_kib": data * PAGE // 1024,
        "ksm_zero_kib": ksm_zero_pages(pid) * PAGE // 1024,
    }


def ksm_zero_pages(pid: int) -> int:
    """Pages of pid that KSM mapped to the kernel's zero page (0 without KSM)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/ksm_stat").read_text().splitlines():
            if line.startswith("ksm_zero_pages"):
                return int(line.split()[1])
    return 0


KSM = Path("/sys/kernel/mm/ksm")


@contextlib.contextmanager
def host_ksm(pages_to_scan: int) -> Any:
    """KSM on (zero pages to the kernel's zero page) for the run; the host's values put back."""
    import ctypes

    names = ("run", "use_zero_pages", "pages_to_scan")
    saved = {n: (KSM / n).read_text().strip() for n in names}
    wanted = {"use_zero_pages": "1", "pages_to_scan": str(pages_to_scan), "run": "1"}
    try:
        for name, value in wanted.items():
            (KSM / name).write_text(value)
        if ctypes.CDLL(None).prctl(67, 1, 0, 0, 0) != 0:  # PR_SET_MEMORY_MERGE
            raise RuntimeError("prctl(PR_SET_MEMORY_MERGE) failed: Linux 6.7+ is needed")
        yield
    finally:
        for name in ("run", "use_zero_pages", "pages_to_scan"):
            (KSM / name).write_text(saved[name])


def ksmd_cpu_seconds() -> float:
    """CPU time used so far by the kernel's ksmd thread (0 if none)."""
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)
            if fields[0].endswith("(ksmd"):
                parts = fields[1].split()
                return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")
    return 0.0


def python_heap_kib(workdir: Path, pid: int, timeout: float = 20.0) -> float | None:
    path = workdir / f"heap-{pid}.json"
    os.kill(pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            return float(json.loads(path.read_text())["traced_bytes"]) / 1024
        time.sleep(0.2)
    return None


def server_env(args: argparse.Namespace, workdir: Path, heap: bool) -> dict[str, str]:
    env = dict(os.environ)
    for item in args.env:
        key, _, value = item.partition("=")
        env[key] = value
    if heap:
        (workdir / "sitecustomize.py").write_text(SITECUSTOMIZE)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(workdir), env.get("PYTHONPATH")]))
        env["MEMSOCK_DIR"] = str(workdir)
    return env


# ---------------------------------------------------------------------------------------------
# bare and relay: this script starts the server and opens the sockets itself


async def open_sockets(target: str, port: int, n: int) -> list[Any]:
    socks: list[Any] = []
    sem = asyncio.Semaphore(32)

    async def one(i: int) -> None:
        async with sem:
            path = "/ws" if target == "bare" else ("/ws/widget" if i % 2 == 0 else "/ws/agent")
            ws = await asyncio.wait_for(websockets.connect(f"ws://127.0.0.1:{port}{path}"), 30)
            room = str(i // 2)
            await ws.send(json.dumps({"type": "hello", "token": room}))
            await asyncio.wait_for(ws.recv(), 30)
            if path == "/ws/agent":
                await ws.send(json.dumps({"type": "subscribe", "conversation_id": room}))
                await ws.send('{"type":"ping"}')
                await asyncio.wait_for(ws.recv(), 30)
            socks.append(ws)

    await asyncio.gather(*(one(i) for i in range(n)))
    return socks


async def run_direct(target: str, args: argparse.Namespace, heap: bool) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix=f"memsock-{target}-"))
    port = free_port()
    if target == "bare":
        cmd = [sys.executable, str(Path(__file__).resolve()), "--serve-bare", str(port)]
    else:
        cmd = [sys.executable, str(BENCH / "relay.py"), "--port", str(port)]
    with (workdir / "server.log").open("wb") as out:
        proc = subprocess.Popen(
            cmd,
            env=server_env(args, workdir, heap),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    socks: list[Any] = []
    try:
        async with httpx.AsyncClient(timeout=2, trust_env=False) as http:
            for _ in range(300):
                with contextlib.suppress(httpx.HTTPError):
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.2)
            else:
                raise RuntimeError(f"{target} not ready; see {workdir / 'server.log'}")
        await asyncio.sleep(1)
        workers = children(proc.pid)
        worker = max(workers, key=lambda p: rss_kib([p]))
        tree = [proc.pid, *workers]
        rss0, scan0 = rss_kib(tree), scan(worker)
        if heap:
            os.kill(worker, signal.SIGUSR2)
            await asyncio.sleep(0.5)
        socks = await open_sockets(target, port, args.sockets)
        await asyncio.sleep(args.settle)
        result: dict[str, Any] = {"target": target, "sockets": len(socks)}
        if heap:
            result["python_heap_kib"] = python_heap_kib(workdir, worker)
        else:
            result["rss_before_kib"], result["rss_idle_kib"] = rss0, rss_kib(tree)
            result["before"], result["idle"] = scan0, scan(worker)
        return result
    finally:
        for ws in socks:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# ventanilla: bench/load.py does everything; this script reads the worker while it settles


def run_ventanilla(args: argparse.Namespace, heap: bool) -> dict[str, Any]:
    workdir = Path(tempfile.mkdtemp(prefix="memsock-ventanilla-"))
    settle = max(args.settle, 12.0)
    cmd = [
        sys.executable,
        str(BENCH / "load.py"),
        "--targets",
        "ventanilla",
        "--convs",
        str(args.sockets // 2),
        "--rates",
        "50",
        "--duration",
        "1",
        "--settle",
        str(settle),
        "--json",
    ]
    if args.src:
        cmd += ["--src", args.src]
    env = server_env(args, workdir, heap)
    with (workdir / "load.err").open("wb") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=err)
    errlog = workdir / "load.err"

    def wait_for(pattern: str, timeout: float = 600.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = re.search(pattern, errlog.read_text())
            if found:
                return found
            if proc.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"load.py: no {pattern!r}; see {errlog}")

    server_log = Path(wait_for(r"\(log (\S+server\.log)\)").group(1))
    deadline = time.monotonic() + 120
    while not (found := re.search(r"Spawning worker-1 with PID: (\d+)", server_log.read_text())):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no worker in {server_log}")
        time.sleep(0.2)
    worker = int(found.group(1))
    wait_for(r"conversations taken")  # load.py waits 1 s, reads RSS, then opens the sockets
    result: dict[str, Any] = {"target": "ventanilla"}
    if heap:
        os.kill(worker, signal.SIGUSR2)
    else:
        result["before"] = scan(worker)
    wait_for(r"sockets open")
    time.sleep(settle / 2)
    if heap:
        result["python_heap_kib"] = python_heap_kib(workdir, worker)
    else:
        result["idle"] = scan(worker)
    out, _ = proc.communicate(timeout=600)
    report = json.loads(out)
    run = report["targets"][0]
    result["sockets"] = run["sockets"]
    if not heap:
        result["rss_before_kib"] = run["rss_before_sockets_kib"]
        result["rss_idle_kib"] = run["rss_idle_kib"]
    return result


def per_socket(r: dict[str, Any]) -> dict[str, float]:
    n = max(1, r["sockets"])
    out = {"rss": (r["rss_idle_kib"] - r["rss_before_kib"]) / n}
    for key in ("zero_kib", "data_kib", "ksm_zero_kib"):
        out[key] = (r["idle"][key] - r["before"][key]) / n
    return out


def machine_load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


async def main_async(args: argparse.Namespace) -> None:
    rows: list[str] = []
    results: list[dict[str, Any]] = []
    for target in args.targets.split(","):
        for heap in [False, True] if args.python_heap else [False]:
            log(f"{target}: {args.sockets} sockets{' (tracemalloc)' if heap else ''}")
            if target == "ventanilla":
                r = await asyncio.to_thread(run_ventanilla, args, heap)
            else:
                r = await run_direct(target, args, heap)
            r["load_average"] = machine_load()
            results.append(r)
    heaps = {r["target"]: r for r in results if "python_heap_kib" in r}
    rows.append(
        "target       socks  RSS KiB/sock  zero-page KiB/sock  data-page KiB/sock"
        "  ksm-zero KiB/sock  python-heap KiB/sock  load avg"
    )
    for r in results:
        if "python_heap_kib" in r:
            continue
        p = per_socket(r)
        h = heaps.get(r["target"])
        heap = (
            f"{h['python_heap_kib'] / max(1, h['sockets']):.1f}"
            if h and h["python_heap_kib"]
            else "-"
        )
        rows.append(
            f"{r['target']:<11} {r['sockets']:>6} {p['rss']:>13.1f} {p['zero_kib']:>19.1f} "
            f"{p['data_kib']:>19.1f} {p['ksm_zero_kib']:>18.1f} {heap:>21}  {r['load_average']}"
        )
    if args.json:
        print(json.dumps(results, indent=1))
    else:
        print("\n".join(rows))
        if args.env:
            print("server env:", " ".join(args.env))


def serve_bare(port: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    # The settings of ventanilla.cli._run_granian.
    Granian(
        "mem_socket:bare_app",
        address="127.0.0.1",
        port=port,
        interface=Interfaces.ASGI,
        workers=1,
        log_access=False,
        websockets=True,
        working_dir=BENCH,
    ).serve()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--targets", default="bare,relay", help="comma list: bare, relay, ventanilla")
    p.add_argument("--sockets", type=int, default=2000, help="sockets to open (even)")
    p.add_argument("--settle", type=float, default=3.0, help="idle seconds before reading")
    p.add_argument("--python-heap", action="store_true", help="also a tracemalloc run per target")
    p.add_argument("--src", default="", help="ventanilla: run this source export (load.py --src)")
    p.add_argument("--env", action="append", default=[], help="K=V for the server (repeatable)")
    p.add_argument("--json", action="store_true", help="raw results as JSON")
    p.add_argument("--ksm", action="store_true", help="kernel page merging on for the run (root)")
    p.add_argument("--ksm-pages-to-scan", type=int, default=1000, help="ksmd pages per 20 ms")
    p.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare)
        return
    if not args.ksm:
        asyncio.run(main_async(args))
        return
    with host_ksm(args.ksm_pages_to_scan):
        cpu0, t0 = ksmd_cpu_seconds(), time.monotonic()
        asyncio.run(main_async(args))
        cpu, wall = ksmd_cpu_seconds() - cpu0, time.monotonic() - t0
    print(
        f"KSM on (pages_to_scan {args.ksm_pages_to_scan} per 20 ms, settle {args.settle:.0f} s):"
        f" ksmd used {cpu:.1f} s of CPU in {wall:.0f} s ({100 * cpu / wall:.1f} % of a core)"
    )


if __name__ == "__main__":
    main()
