#!/usr/bin/env python3
"""Reliability suite against the real binary, on loopback only, each step bounded in time.

1. Mixed burst: readers of every ranking kind and writers of demands and teams at once for a few
   seconds; every answer must be 2xx (or 503 `overloaded` with Retry-After), and the service ready after.
2. kill -9 during a mixed burst: after a restart on the same data, every write that was answered 2xx
   is there with its content, and the written demands are ranked.
3. A second server on the same data directory exits non-zero naming the first.
4. A model file damaged in place (same size) is detected and rebuilt at start, never used: rankings
   after the start equal those before the damage.

Usage: scripts/reliability.py BINARY [DATA_DIR]   (DATA_DIR defaults to datasets/jiangsu)
"""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN = os.path.abspath(sys.argv[1])
DATA = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else "datasets/jiangsu")
BURST_SECONDS = float(os.environ.get("BURST_SECONDS", "8"))


class Server:
    """`shuanggao serve` on a free port over the data directory `work`."""

    def __init__(self, work, token=None):
        self.work = work
        self.stderr = open(os.path.join(work, "stderr.log"), "ab")
        self.proc = subprocess.Popen(
            [BIN, "serve", "--data", DATA, "--addr", "127.0.0.1:0",
             "--db", os.path.join(work, "db.sqlite"), "--index", os.path.join(work, "index"),
             "--models", os.path.join(work, "models")],
            stdout=subprocess.PIPE, stderr=self.stderr, env={**os.environ, "RUST_LOG": "warn"})
        self.base, self.token = None, token
        deadline = time.time() + 120
        for raw in self.proc.stdout:
            line = raw.decode()
            if "shown once" in line:
                self.token = line.rsplit(": ", 1)[1].strip()
            if line.startswith("listening on "):
                self.base = line.split(" ", 2)[2].strip()
                break
            if time.time() > deadline:
                break
        if not self.base:
            raise SystemExit(f"server did not start; see {work}/stderr.log")
        threading.Thread(target=lambda: [None for _ in self.proc.stdout], daemon=True).start()

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def call(base, token, method, path, body=None, timeout=10):
    data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers={
        "Authorization": "Bearer " + token, "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as res:
            return res.status, json.loads(res.read() or b"null"), res.headers
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null"), err.headers


def catalog(server):
    """Zones with their demands, and the teams of the universities."""
    get = lambda p: call(server.base, server.token, "GET", p)[1]
    zones = [get(f"/v1/zones/{z['id']}") for z in get("/v1/zones?limit=100")["items"]]
    univs = [get(f"/v1/universities/{u['id']}") for u in get("/v1/universities?limit=100")["items"]]
    return zones, univs


def burst(server, seconds, acks=None, tag="a"):
    """Readers and writers at once for `seconds`; returns (answers by status, failures)."""
    zones, univs = catalog(server)
    # Two zones and four universities, warmed first: the burst exercises writes against warm rankings.
    zones = sorted(zones, key=lambda z: -len(z["demands"]))[:2]
    univs = sorted(univs, key=lambda u: -len(u["teams"]))[:4]
    demands = [d["id"] for z in zones for d in z["demands"]]
    teams = [t["id"] for u in univs for t in u["teams"]]
    reads = ([f"/v1/zones/{z['id']}/candidates?limit=10" for z in zones]
             + [f"/v1/universities/{u['id']}/demands?limit=10" for u in univs]
             + [f"/v1/demands/{d}/teams?limit=20" for d in demands]
             + [f"/v1/teams/{t}/demands?limit=20" for t in teams])
    for path in reads:
        call(server.base, server.token, "GET", path, timeout=60)
    statuses, failures, lock = {}, [], threading.Lock()
    end = time.time() + seconds

    def note(status, what):
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            # 503 is the documented answer to overload; anything else but 2xx is a failure.
            if not (200 <= status < 300 or status == 503):
                failures.append(what)

    def reader(seed):
        rnd = random.Random(seed)
        while time.time() < end:
            path = rnd.choice(reads)
            try:
                status, body, headers = call(server.base, server.token, "GET", path)
                if status == 503 and not headers.get("Retry-After"):
                    failures.append(f"503 without Retry-After on {path}")
                note(status, f"{status} GET {path}: {body}")
            except Exception as err:  # connection refused after kill -9 ends the reader
                if acks is None:
                    note(0, f"GET {path}: {err}")
                return

    def writer(seed):
        rnd = random.Random(seed)
        n = 0
        while time.time() < end:
            n += 1
            mark = f"（可靠性测试 {tag}-{seed}-{n}）"
            try:
                if n % 3 == 1:
                    d = call(server.base, server.token, "GET", f"/v1/demands/{rnd.choice(demands)}")[1]
                    d["id"] = f"d-rel-{tag}-{seed}-{n}"
                    d["description"] += mark
                    status, body, _ = call(server.base, server.token, "POST", "/v1/demands", d)
                    kind, key = "demand", d["id"]
                elif n % 3 == 2:
                    d = call(server.base, server.token, "GET", f"/v1/demands/{rnd.choice(demands)}")[1]
                    d["description"] += mark
                    status, body, _ = call(server.base, server.token, "PUT", f"/v1/demands/{d['id']}", d)
                    kind, key = "demand", d["id"]
                else:
                    t = call(server.base, server.token, "GET", f"/v1/teams/{rnd.choice(teams)}")[1]
                    t["description"] += mark
                    status, body, _ = call(server.base, server.token, "PUT", f"/v1/teams/{t['id']}", t)
                    kind, key = "team", t["id"]
            except Exception as err:
                if acks is None:
                    note(0, f"write: {err}")
                return
            note(status, f"{status} write {kind} {key}: {body}")
            if 200 <= status < 300 and acks is not None:
                with lock:
                    acks.append((kind, key, mark))

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(6)]
    threads += [threading.Thread(target=writer, args=(100 + i,)) for i in range(2)]
    for t in threads:
        t.start()
    return threads, statuses, failures


def check(cond, message):
    if not cond:
        raise SystemExit(f"FAIL: {message}")
    print(f"ok: {message}")


def rankings(server, demands):
    return {d: [r["team_id"] for r in call(server.base, server.token, "GET",
                                          f"/v1/demands/{d}/teams?limit=10")[1]["items"]]
            for d in demands}


def main():
    root = tempfile.mkdtemp(prefix="reliability-")
    try:
        # 1. Mixed burst.
        work = os.path.join(root, "a")
        os.makedirs(work)
        server = Server(work)
        threads, statuses, failures = burst(server, BURST_SECONDS)
        for t in threads:
            t.join(timeout=BURST_SECONDS + 60)
        print(f"mixed burst: answers by status {dict(sorted(statuses.items()))}")
        check(not failures, f"no failed request in a mixed burst ({sum(statuses.values())} requests)"
              + ("" if not failures else f": {failures[:3]}"))
        check(call(server.base, server.token, "GET", "/readyz")[0] == 200, "ready after the burst")

        # 3. A second server on the same data.
        second = subprocess.run(
            [BIN, "serve", "--data", DATA, "--addr", "127.0.0.1:0", "--db", os.path.join(work, "db.sqlite"),
             "--index", os.path.join(work, "index"), "--models", os.path.join(work, "models")],
            capture_output=True, timeout=60)
        err = second.stderr.decode()
        check(second.returncode != 0 and f"pid {server.proc.pid}" in err,
              f"a second server exits {second.returncode} naming the first (pid {server.proc.pid})")

        # 2. kill -9 during a mixed burst (created demands get ids of their own).
        acks = []
        threads, statuses, _ = burst(server, 60, acks=acks, tag="k")
        deadline = time.time() + 30
        while len(acks) < 12 and time.time() < deadline:
            time.sleep(0.05)
        server.kill9()
        for t in threads:
            t.join(timeout=30)
        print(f"kill -9 burst: answers by status {dict(sorted(statuses.items()))}")
        server = Server(work, server.token)
        lost = []
        for kind, key, mark in acks:
            status, body, _ = call(server.base, server.token, "GET", f"/v1/{kind}s/{key}")
            if status != 200 or mark not in body.get("description", ""):
                lost.append((kind, key, mark))
        check(acks and not lost, f"every acknowledged write of {len(acks)} survives kill -9"
              + ("" if not lost else f"; lost {lost[:3]}"))
        created = [key for kind, key, _ in acks if key.startswith("d-rel-")][:5]
        ranked = rankings(server, created)
        check(created and all(ranked.values()),
              f"the {len(created)} created demands checked are ranked after the restart")

        # 4. A model damaged in place.
        zones, _ = catalog(server)
        sample = [d["id"] for z in zones for d in z["demands"][:2]]
        before = rankings(server, sample)
        server.stop()
        model = os.path.join(work, "models", "engine.model")
        size = os.path.getsize(model)
        with open(model, "r+b") as f:
            f.seek(size // 2)
            f.write(os.urandom(4096))
        check(os.path.getsize(model) == size, "model damaged in place, size unchanged")
        server = Server(work, server.token)
        after = rankings(server, sample)
        log = open(os.path.join(work, "stderr.log"), encoding="utf-8", errors="replace").read()
        check(after == before, f"rankings of {len(sample)} demands after the damaged start equal those before")
        check("not usable" in log, "the damage is logged and the models trained again")
        server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
