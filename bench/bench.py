#!/usr/bin/env python3
"""Helpers of bench/run.sh (Python 3.11 standard library only).

  register  create accounts over HTTP
  mint      log in repeatedly and write one refresh token a line
  drain     wait until the server's password-check queue is empty
  fixtures  one account with a project of 20 tasks and an empty project; print token and ids
  mfa       accounts with two-step sign-in on, each with one pre-minted mfa_token and its codes
  pgurl     TEST_POSTGRES_URL with another database name
  report    turn the collected JSON lines into the results table and the budget verdicts
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import http.client
import json
import struct
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

HOST = "127.0.0.1"


# --------------------------------------------------------------------------------------------
# HTTP


class Client:
    """One keep-alive connection; JSON in, (status, JSON or None) out."""

    def __init__(self, port: int) -> None:
        self.conn = http.client.HTTPConnection(HOST, port, timeout=60)

    def call(self, method: str, path: str, body: object | None = None, token: str | None = None) -> tuple[int, object]:
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        raw = response.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return response.status, parsed

    def expect(self, status: int, method: str, path: str, body: object | None = None, token: str | None = None) -> dict:
        got, parsed = self.call(method, path, body, token)
        if got != status:
            # Problem bodies never hold a secret; show the title and detail only.
            detail = parsed.get("detail") if isinstance(parsed, dict) else None
            sys.exit(f"bench: {method} {path} answered {got}, expected {status} ({detail})")
        return parsed if isinstance(parsed, dict) else {}


def parallel(port: int, jobs: list, work, concurrency: int) -> list:
    """Runs `work(client, job)` for every job on `concurrency` connections, keeping the order."""
    clients = [Client(port) for _ in range(max(1, concurrency))]

    def lane(index: int) -> list:
        client = clients[index]
        return [(i, work(client, jobs[i])) for i in range(index, len(jobs), len(clients))]

    with ThreadPoolExecutor(len(clients)) as pool:
        done = [item for lane_items in pool.map(lane, range(len(clients))) for item in lane_items]
    return [result for _, result in sorted(done, key=lambda pair: pair[0])]


def emails(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{i}@bench.example.com" for i in range(count)]


# --------------------------------------------------------------------------------------------
# Commands


def cmd_register(args: argparse.Namespace) -> None:
    addresses = emails(args.prefix, args.count)

    def work(client: Client, email: str) -> None:
        client.expect(201, "POST", "/auth/register", {"email": email, "password": args.password, "name": "Bench User"})

    parallel(args.port, addresses, work, args.concurrency)
    print(",".join(addresses))


def cmd_mint(args: argparse.Namespace) -> None:
    """Each login opens its own session, so every token written heads a chain of its own. Logins
    are spread over the accounts so none comes near the 100 live sessions per user."""
    users = args.emails.split(",")
    if args.count > 90 * len(users):
        sys.exit(f"bench: {args.count} sessions need at least {-(-args.count // 90)} accounts")
    jobs = [users[i % len(users)] for i in range(args.count)]

    def work(client: Client, email: str) -> str:
        return client.expect(200, "POST", "/auth/login", {"email": email, "password": args.password})["refresh_token"]

    tokens = parallel(args.port, jobs, work, args.concurrency)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("\n".join(tokens) + "\n")


def cmd_drain(args: argparse.Namespace) -> None:
    """One login, retried while it gets 503. Requests a finished wrk run left behind stay queued
    for a hashing permit (and are still hashed) after their client is gone; the queue is first in,
    first out, so this login succeeds once they are through, and the next run starts clean."""
    client = Client(args.port)
    started = time.monotonic()
    while True:
        status, _ = client.call("POST", "/auth/login", {"email": args.email, "password": args.password})
        if status == 200:
            print(f"{time.monotonic() - started:.1f}")
            return
        if status != 503 or time.monotonic() - started > args.timeout:
            sys.exit(f"bench: draining the login queue got {status}")


def cmd_fixtures(args: argparse.Namespace) -> None:
    """Prints four lines: an access token, the project with 20 tasks, the project for creates, and
    a personal access token of the same account with scopes profile and introspect."""
    client = Client(args.port)
    email = f"{args.prefix}@bench.example.com"
    client.expect(201, "POST", "/auth/register", {"email": email, "password": args.password, "name": "Bench Owner"})
    token = client.expect(200, "POST", "/auth/login", {"email": email, "password": args.password})["access_token"]
    listed = client.expect(201, "POST", "/projects", {"name": "bench: list", "description": "20 tasks"}, token)["id"]
    for i in range(20):
        body = {"title": f"task {i:02}", "description": "seeded by bench/bench.py", "priority": ["low", "medium", "high"][i % 3]}
        client.expect(201, "POST", f"/projects/{listed}/tasks", body, token)
    created = client.expect(201, "POST", "/projects", {"name": "bench: create"}, token)["id"]
    # The measured requests must succeed, or the figures would be those of error paths.
    page = client.expect(200, "GET", f"/projects/{listed}/tasks", token=token)
    if len(page.get("items", [])) != 20:
        sys.exit(f"bench: the list project answers {len(page.get('items', []))} items, expected 20")
    client.expect(200, "GET", "/users/me", token=token)
    # Made right after the sign-in, so the session is fresh and needs no password. A commit from
    # before personal access tokens (bench/ab.sh's older side) has none: an empty line then.
    status, made = client.call("POST", "/users/me/tokens", {"name": "bench", "scopes": ["profile", "introspect"]}, token)
    if status not in (201, 404):
        sys.exit(f"bench: creating the personal access token answered {status}: {made}")
    pat = made["token"] if status == 201 else ""
    if pat:
        client.expect(200, "GET", "/users/me", token=pat)
    print(token, listed, created, pat, sep="\n")


def totp(secret_base32: str, step: int) -> str:
    """RFC 6238 with SHA-1, 6 digits (the bench's own; the tests use pyotp)."""
    key = base64.b32decode(secret_base32 + "=" * (-len(secret_base32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    return f"{(struct.unpack('>I', mac[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def cmd_mfa(args: argparse.Namespace) -> None:
    """Writes one line per account: `first_step mfa_token code code ...`, the codes of
    `--steps` consecutive 30-second steps from `first_step`. Each account has TOTP on (its
    confirming code used a step before `first_step`) and one waiting mfa_token, so each line
    is one second step that can succeed exactly once: a code works once per account and step."""
    addresses = emails(args.prefix, args.count)

    def work(client: Client, email: str) -> str:
        client.expect(201, "POST", "/auth/register", {"email": email, "password": args.password, "name": "Bench Two Step"})
        access = client.expect(200, "POST", "/auth/login", {"email": email, "password": args.password})["access_token"]
        secret = client.expect(201, "POST", "/users/me/mfa/totp", None, access)["secret"]
        step = int(time.time()) // 30
        client.expect(200, "POST", "/users/me/mfa/totp/confirm", {"code": totp(secret, step)}, access)
        status, body = client.call("POST", "/auth/login", {"email": email, "password": args.password})
        if status != 403 or not isinstance(body, dict) or "mfa_token" not in body:
            sys.exit(f"bench: a login with two-step sign-in on answered {status}, expected the mfa-required problem")
        first = step + 1
        return " ".join([str(first), body["mfa_token"], *(totp(secret, first + i) for i in range(args.steps))])

    lines = parallel(args.port, addresses, work, args.concurrency)
    with open(args.out, "w", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


def cmd_pgurl(args: argparse.Namespace) -> None:
    parts = urllib.parse.urlsplit(args.url)
    print(urllib.parse.urlunsplit(parts._replace(path="/" + args.database)))


# --------------------------------------------------------------------------------------------
# Report


@dataclass
class Run:
    backend: str
    case: str
    conns: int
    rps: float
    ok_rps: float
    p50: float
    p99: float
    non2xx: int
    socket_errors: int
    requests: int
    cpu_us: float | None  # server CPU time per answer
    others: float | None  # share of the machine's CPU that neither the server nor wrk used


def load(path: str) -> tuple[list[Run], dict]:
    runs: list[Run] = []
    metrics: dict = {}
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            item = json.loads(line)
            if "wrk" in item:
                w = item["wrk"]
                bad = w["non2xx"]
                cpu = item.get("cpu")
                cpu_us = others = None
                if cpu and w["requests"]:
                    tick_us = 1e6 / cpu["clk_tck"]
                    cpu_us = cpu["server"] * tick_us / w["requests"]
                    spare = (cpu["machine"] - cpu["server"] - cpu["wrk"]) * tick_us
                    others = max(0.0, spare / (cpu["cores"] * cpu["wall_us"]))
                runs.append(
                    Run(
                        item["backend"],
                        item["case"],
                        item["conns"],
                        w["rps"],
                        (w["requests"] - bad) / w["seconds"] if w["seconds"] else 0.0,
                        w["p50_ms"],
                        w["p99_ms"],
                        bad,
                        w["socket_errors"],
                        w["requests"],
                        cpu_us,
                        others,
                    )
                )
            else:
                metrics[(item.get("backend", ""), item["metric"])] = item["value"]
    return runs, metrics


def mib(kib: float | None) -> str:
    """Memory in MB of 10^6 bytes, the unit of the budget."""
    return "n/a" if kib is None else f"{kib * 1024 / 1e6:.1f} MB"


def find(runs: list[Run], backend: str, case: str, conns: int | None = None) -> list[Run]:
    return [r for r in runs if r.backend == backend and r.case == case and (conns is None or r.conns == conns)]


def verdict(ok: bool | None) -> str:
    return "n/a " if ok is None else ("PASS" if ok else "FAIL")


def cmd_report(args: argparse.Namespace) -> None:
    runs, metrics = load(args.results)
    meta = json.loads(args.meta)
    cores = int(meta["cores"])
    cost, low = int(meta["bcrypt_cost"]), int(meta["low_cost"])
    backends = list(dict.fromkeys(r.backend for r in runs))
    health, me = "GET /health", "GET /users/me"
    me_by_pat, introspection = "GET /users/me (personal access token)", "POST /auth/introspect (access token)"
    tasks_list, tasks_create = "GET /projects/{id}/tasks (20 items)", "POST /projects/{id}/tasks"
    refresh, flood_me = "POST /auth/refresh", "GET /users/me during login flood"
    second_step = "POST /auth/login/mfa (TOTP code)"

    def login(c: int) -> str:
        return f"POST /auth/login (bcrypt cost {c})"

    hash_ms = {c: metrics.get(("", f"hash_ms_cost_{c}")) for c in (cost, low)}
    bound = {c: (cores * 1000.0 / ms if ms else None) for c, ms in hash_ms.items()}

    out: list[str] = []
    out.append(f"# Gatehouse benchmark, {meta['date']}")
    out.append("")
    out.append(f"- commit: `{meta['commit']}`{' (with uncommitted changes)' if meta.get('dirty') == '1' else ''}")
    out.append(f"- machine: {cores} cores ({meta['cpu']}), {meta['memory']}, Linux {meta['kernel']}")
    out.append(f"- load average (1, 5, 15 min): {meta['load_start']} before, {meta['load_end']} after")
    out.append(
        f"- load generator: {meta['wrk']} over loopback, {meta['duration']} s a run, "
        f"{meta['wrk_threads']} threads; server: release build, {cores} workers, rate limiting off, "
        f"log level warn, bcrypt cost {cost} (and {low} on a restart)"
    )
    out.append(f"- backends: {', '.join(backends)}")
    out.append("")
    out.append("| backend | endpoint | conns | req/s | p50 ms | p99 ms | non-2xx | socket errors | server CPU µs/req | others' CPU |")
    out.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in runs:
        cpu = "–" if r.cpu_us is None else f"{r.cpu_us:,.0f}"
        others = "–" if r.others is None else f"{r.others:.0%}"
        out.append(
            f"| {r.backend} | `{r.case}` | {r.conns} | {r.rps:,.0f} | {r.p50:.2f} | {r.p99:.2f} | {r.non2xx} | {r.socket_errors} "
            f"| {cpu} | {others} |"
        )
    out.append("")
    out.append(
        "req/s counts every answer; the ratios and budget lines below count 2xx answers only. Server CPU µs/req is the "
        "server's user + system time during the run ÷ answers: unlike req/s it hardly moves when other processes share "
        "the machine. Others' CPU is the share of all cores that neither the server nor wrk used during the run (other "
        "processes on the machine): where it is high, req/s and latency of that run understate the server. Both are left "
        "out where two runs shared the server."
    )
    out.append("")
    out.append("## Figures")
    out.append("")

    def ms_text(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f} ms"

    bcrypt = "; ".join(
        f"cost {c}: one check {'n/a' if hash_ms[c] is None else f'{hash_ms[c]:.1f} ms'}, "
        f"bound {'n/a' if bound[c] is None else f'{bound[c]:.1f}/s'}"
        for c in (cost, low)
    )
    out.append(f"- bcrypt (one thread, no server running; bound = {cores} cores ÷ one check): {bcrypt}")
    for b in backends:
        out.append(
            f"- {b}: start to first 200 on /health {ms_text(metrics.get((b, 'ready_ms_fresh')))} (fresh database), "
            f"{ms_text(metrics.get((b, 'ready_ms_restart')))} (restart)"
        )
        threads = metrics.get((b, "threads_under_load"))
        out.append(
            f"- {b}: RSS idle {mib(metrics.get((b, 'rss_idle_start_kib')))} after start-up, "
            f"{mib(metrics.get((b, 'rss_idle_seeded_kib')))} after seeding, {mib(metrics.get((b, 'rss_idle_end_kib')))} "
            f"after the load; peak (VmHWM) {mib(metrics.get((b, 'rss_peak_kib')))}"
            + ("" if threads is None else f"; {threads:.0f} server threads at the end of the /users/me runs")
        )
        rates = [(c, metrics.get((b, f"hash_rate_cost_{c}"))) for c in (cost, low)]
        if any(rate is not None for _, rate in rates):
            out.append(
                f"- {b}: bcrypt checks/s on {cores} threads just before the login runs (what the CPU offered then): "
                + ", ".join(f"{rate:.1f}/s at cost {c}" for c, rate in rates if rate is not None)
            )
        ratios = []
        for conns in sorted({r.conns for r in find(runs, b, me)}):
            h, m = find(runs, b, health, conns), find(runs, b, me, conns)
            if h and m and h[0].ok_rps:
                by_cpu = f", {h[0].cpu_us / m[0].cpu_us:.0%} by server CPU per answer" if h[0].cpu_us and m[0].cpu_us else ""
                ratios.append(f"{m[0].ok_rps / h[0].ok_rps:.0%} at {conns} conns{by_cpu}")
        if ratios:
            out.append(f"- {b}: /users/me ÷ /health req/s: " + "; ".join(ratios))
        shares = []
        for c in (cost, low):
            rate = metrics.get((b, f"hash_rate_cost_{c}"))
            for r in find(runs, b, login(c)):
                if bound[c]:
                    measured = f" ({r.ok_rps / rate:.0%} of the measured checks/s)" if rate else ""
                    shares.append(f"{r.ok_rps / bound[c]:.0%} at cost {c}, {r.conns} conns{measured}")
        if shares:
            out.append(f"- {b}: login ÷ bcrypt bound: " + "; ".join(shares))

    # Budget lines (issue 6), on SQLite. Throughput lines take the better of the two
    # concurrencies (the capacity of the server); latency and ratio lines must hold at each.
    b = "sqlite" if "sqlite" in backends else (backends[0] if backends else "")
    lines: list[tuple[bool | None, str]] = []

    def every(rows: list, test) -> bool | None:
        return all(test(r) for r in rows) if rows else None

    ratios = []
    for conns in sorted({r.conns for r in find(runs, b, me)}):
        h, m = find(runs, b, health, conns), find(runs, b, me, conns)
        if h and m and h[0].ok_rps:
            ratios.append((conns, m[0].ok_rps / h[0].ok_rps))
    lines.append(
        (
            every(ratios, lambda x: x[1] >= 0.5),
            "/users/me >= 50% of /health req/s: " + ", ".join(f"{x[1]:.0%} at {x[0]}" for x in ratios),
        )
    )
    m64 = find(runs, b, me, 64)
    lines.append((every(m64, lambda r: r.p99 < 5), "/users/me p99 < 5 ms at 64 conns: " + ", ".join(f"{r.p99:.2f} ms" for r in m64)))
    shares = [(c, r.conns, r.ok_rps / bound[c]) for c in (cost, low) for r in find(runs, b, login(c)) if bound[c]]
    lines.append(
        (
            every(shares, lambda x: x[2] >= 0.9),
            "login >= 90% of bcrypt bound: " + ", ".join(f"{x[2]:.0%} (cost {x[0]}, {x[1]} conns)" for x in shares),
        )
    )
    fm = find(runs, b, flood_me)
    lines.append(
        (
            every(fm, lambda r: r.p99 < 20 and r.non2xx == 0),
            "/users/me p99 < 20 ms during a login flood: " + ", ".join(f"{r.p99:.2f} ms at {r.conns}" for r in fm),
        )
    )
    for case, floor, label in ((refresh, 2000, "refresh >= 2,000/s"), (tasks_create, 3000, "task create >= 3,000/s"), (tasks_list, 10000, "task list (20) >= 10,000/s")):
        rows = find(runs, b, case)
        best = max((r.ok_rps for r in rows), default=None)
        lines.append((None if best is None else best >= floor, f"{label}: " + ("n/a" if best is None else f"{best:,.0f}/s (best of {', '.join(str(r.conns) for r in rows)} conns)")))
    # Issue 29: a personal access token's read against an access token's, and introspection.
    pats = [(r.conns, r.ok_rps / m[0].ok_rps) for r in find(runs, b, me_by_pat, 64) for m in [find(runs, b, me, 64)] if m and m[0].ok_rps]
    lines.append(
        (
            every(pats, lambda x: x[1] >= 0.8),
            "/users/me by personal access token >= 80% of by access token at 64 conns: " + (", ".join(f"{x[1]:.0%}" for x in pats) or "n/a"),
        )
    )
    looks = []
    for conns in sorted({r.conns for r in find(runs, b, introspection)}):
        i, m = find(runs, b, introspection, conns), find(runs, b, me, conns)
        if i and m and m[0].ok_rps:
            looks.append((conns, i[0].ok_rps / m[0].ok_rps, i[0].non2xx))
    lines.append(
        (
            every(looks, lambda x: x[1] >= 0.5 and x[2] == 0),
            "introspection of an access token >= 50% of /users/me req/s: " + (", ".join(f"{x[1]:.0%} at {x[0]}" for x in looks) or "n/a"),
        )
    )
    # Issue 28: the second step of two-step sign-in, at 16 connections.
    steps = find(runs, b, second_step, 16)
    lines.append(
        (
            every(steps, lambda r: r.ok_rps >= 2000 and r.p99 < 20 and r.non2xx == 0),
            "second step (/auth/login/mfa) >= 2,000/s with p99 < 20 ms at 16 conns: "
            + (", ".join(f"{r.ok_rps:,.0f}/s, p99 {r.p99:.2f} ms, {r.non2xx} non-2xx" for r in steps) or "n/a"),
        )
    )
    idle = [metrics.get((b, k)) for k in ("rss_idle_start_kib", "rss_idle_seeded_kib", "rss_idle_end_kib")]
    idle = [v for v in idle if v is not None]
    lines.append(
        (
            every(idle, lambda v: v * 1024 < 30e6),
            "idle RSS < 30 MB: " + " / ".join(mib(v) for v in idle) + " (after start-up / after seeding / after the load)",
        )
    )
    peak = metrics.get((b, "rss_peak_kib"))
    lines.append((None if peak is None else peak * 1024 < 80e6, f"RSS under load < 80 MB: {mib(peak)} peak"))
    ready = [metrics.get((b, k)) for k in ("ready_ms_fresh", "ready_ms_restart")]
    ready = [v for v in ready if v is not None]
    lines.append((every(ready, lambda v: v < 300), "start to ready < 300 ms: " + " / ".join(f"{v:.0f} ms" for v in ready) + " (fresh database / restart)"))

    # Issue 14: the login's audit event, timed on the write that carries it (audit_write_cost).
    for backend in backends:
        added = [metrics.get((backend, f"login_event_added_{q}_us")) for q in ("p50", "p99")]
        if None not in added:
            lines.append(
                (
                    all(v <= 1000 for v in added),
                    f"login event adds <= 1 ms ({backend}, session insert with vs without it): "
                    f"{added[0]:.0f} µs p50, {added[1]:.0f} µs p99",
                )
            )

    out.append("")
    out.append(f"## Budget ({b})")
    out.append("")
    out.append("```")
    out.extend(f"{verdict(ok)}  {text}" for ok, text in lines)
    out.append("```")
    busy = [r for r in runs if r.backend == b and r.others is not None and r.others > 0.2]
    if busy:
        out.append("")
        out.append(
            "Other processes used more than 20% of the cores during "
            + "; ".join(f"`{r.case}` at {r.conns} conns ({r.others:.0%})" for r in busy)
            + ": those figures understate the server; rerun on a quiet machine before reading a FAIL from them."
        )
    if any(r.non2xx or r.socket_errors for r in runs):
        out.append("")
        out.append("Some runs had non-2xx answers or socket errors: see the table; `BENCH_KEEP=1` keeps the server logs.")
    text = "\n".join(out) + "\n"
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    print(text, end="")


# --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("register")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--concurrency", type=int, default=4)
    p.set_defaults(run=cmd_register)

    p = sub.add_parser("mint")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--emails", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--concurrency", type=int, default=4)
    p.set_defaults(run=cmd_mint)

    p = sub.add_parser("drain")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--email", required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.set_defaults(run=cmd_drain)

    p = sub.add_parser("fixtures")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--password", required=True)
    p.set_defaults(run=cmd_fixtures)

    p = sub.add_parser("mfa")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--password", required=True)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--out", required=True)
    p.add_argument("--concurrency", type=int, default=8)
    p.set_defaults(run=cmd_mfa)

    p = sub.add_parser("pgurl")
    p.add_argument("--url", required=True)
    p.add_argument("--database", required=True)
    p.set_defaults(run=cmd_pgurl)

    p = sub.add_parser("report")
    p.add_argument("--results", required=True)
    p.add_argument("--meta", required=True, help="JSON object describing the run")
    p.add_argument("--out", required=True)
    p.set_defaults(run=cmd_report)

    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
