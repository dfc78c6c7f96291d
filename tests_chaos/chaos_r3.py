"""R3 concurrency: Odoo worker processes on one database at once.

A prefork server with two cron workers and one HTTP worker per user request.
The import job has a copy (an administrator duplicated the scheduled action:
Odoo's job lock does not keep the two apart). Each round, at the same
instant: both jobs are woken up (one cron worker each), an administrator
clicks *Run Manually* on the job (``ir.cron.method_direct_trigger``; Odoo
refuses it while the job runs), and bookkeepers click *Fetch Transactions*
(sometimes *Fetch Accounts*) on random connections, all through JSON-RPC as
the web client does: four worker processes at work at once, or five.
Every other round the access tokens have expired at the simulator, so all
of them need a refresh at once.

After each round: no line twice; each due connection was synchronized by the
job runners exactly once (a manual Fetch that ran may add one, one that found
the connection busy adds none), counted as synchronizations created at the
simulator; no refresh token presented twice (counted by the simulator).
"""

import collections
import json
import re
import threading

from chaos_campaign import Campaign, log
from chaos_odoo import Rpc, RpcError

#: what a user is told when the connection is being synchronized elsewhere
BUSY = re.compile(r"already running|is running\. Try again")


class ConcurrencyCampaign(Campaign):
    name = "r3_concurrency"
    cron_threads = 2

    def __init__(self, settings, rounds=4, fetchers=2):
        super().__init__(settings)
        self.rounds, self.fetchers = rounds, fetchers
        self.workers = 1 + fetchers  # Run Manually + one per fetcher

    def run(self):
        f = self.figures
        f.counts["processes"] = 2 + self.fetchers  # busy at once (+ Run Manually)
        # the first import, so that rounds are about new transactions
        took = self.run_cron(timeout=600)
        log(f"{self.name}: first import took {took and round(took, 1)}s")
        self.sim.collect()
        self.rpcs = [
            Rpc(self.server.url, self.db_name) for _ in range(1 + self.fetchers)
        ]
        copy = self.rpcs[0].call(
            "ir.cron", "copy", [self.db.cron_id], {"name": "Import (copy)"}
        )
        self.db._cron_ids = [
            self.db.cron_id,
            copy[0] if isinstance(copy, list) else copy,
        ]
        self.db.park_cron()
        for number in range(1, self.rounds + 1):
            self.one_round(number, expire=number % 2 == 0)
        self.final_check()
        return f

    def one_round(self, number, expire):
        f, db, sim = self.figures, self.db, self.sim
        for ref in sorted({acc["account_ref"] for acc in self.accounts}):
            n = self.rng.randint(5, 40)
            sim.queue(ref, n)
            f.add("queued", n)
        if expire:
            sim.advance(1799 + 60)
            f.add("token_expiries")
        db.make_links_due()
        link_ids = [link["id"] for link in self.links]
        connect = [
            link["id"] for link in self.links if link["profile"] == "ponto_connect"
        ]
        same = self.rng.choice(link_ids) if self.rng.random() < 0.4 else None
        actions = [("run_manually", None)]
        for i in range(self.fetchers):
            link = same or self.rng.choice(link_ids)
            kind = "fetch"
            # Fetch Accounts builds a client too (and refreshes an expired
            # token): it must take the same per-connection lock
            if connect and self.rng.random() < (0.5 if expire and i == 0 else 0.15):
                kind, link = "fetch_accounts", self.rng.choice(connect)
            actions.append((kind, link))
        barrier = threading.Barrier(len(actions) + 1)
        results = [None] * len(actions)
        threads = [
            threading.Thread(
                target=self.act, args=(self.rpcs[i], kind, link, barrier, results, i)
            )
            for i, (kind, link) in enumerate(actions)
        ]
        for thread in threads:
            thread.start()
        barrier.wait()
        db.make_cron_due()
        db.notify_cron()
        for thread in threads:
            thread.join(600)
        if self.wait_job(timeout=600) is None:
            f.fail(f"round {number}: the job did not finish")
        records = sim.collect()
        syncs = self.syncs_per_link(records)
        ran = collections.Counter()
        for (kind, link), result in zip(actions, results, strict=True):
            f.add(f"{kind}_calls")
            if result["error"] and "currently being executed" in result["error"]:
                # Odoo's own cron lock: Run Manually refused while the job runs
                f.add(f"{kind}_refused_by_odoo")
            elif result["error"] and BUSY.search(result["error"]):
                f.add(f"{kind}_found_busy")  # the connection's lock: said so
            elif result["error"]:
                f.add(f"{kind}_errors")
                f.fail(f"round {number}: {kind} {link or ''}: {result['error']}")
            elif kind == "fetch" and result["ran"]:
                ran[link] += 1
            elif kind == "fetch":
                f.add("fetch_found_busy")
        for link in link_ids:
            by_job = syncs.get(link, 0) - ran[link]
            if by_job not in (0, 1) or (by_job == 0 and not ran[link]):
                f.fail(
                    f"round {number}: connection {link} synchronized "
                    f"{syncs.get(link, 0)} times ({ran[link]} manual Fetch ran)"
                )
        dups = db.duplicates()
        if dups:
            f.fail(f"round {number}: {dups} lines imported twice")
        f.add("syncs", sum(syncs.values()))
        log(
            f"round {number}: {actions} -> syncs per "
            f"connection {dict(syncs)}, manual ran {dict(ran)}, refreshes "
            f"{sim.refreshes}, reused {sim.refresh_reused}, duplicates {dups}"
        )

    def act(self, rpc, kind, link, barrier, results, index):
        out = {"error": None, "ran": False}
        try:
            barrier.wait(60)
            if kind == "run_manually":
                rpc.call("ir.cron", "method_direct_trigger", [self.db.cron_id])
            elif kind == "fetch":
                action = rpc.call("bank.sync.link", "action_fetch_transactions", [link])
                message = json.dumps(action or {})
                out["ran"] = not BUSY.search(message)
            else:
                rpc.call("bank.sync.link", "action_fetch_accounts", [link])
        except RpcError as exc:
            out["error"] = str(exc)[:300]
        except Exception as exc:
            out["error"] = f"{type(exc).__name__}: {exc}"[:300]
        results[index] = out

    def syncs_per_link(self, records):
        """Synchronizations created at the simulator, per connection."""
        owner = {
            (acc["profile"], acc["account_ref"]): acc["link_id"]
            for acc in self.accounts
        }
        per_account = collections.Counter()
        for rec in records:
            if (
                rec["method"] != "POST"
                or not rec["route"].endswith("/synchronizations")
                or rec["status"] not in (200, 201)
            ):
                continue  # a refused creation (401 before a refresh...) is no sync
            try:
                attrs = json.loads(rec["body"])["data"]["attributes"]
            except (ValueError, KeyError, TypeError):
                continue
            if not attrs.get("subtype", "").startswith("accountTransactions"):
                continue
            profile = "ponto_connect" if rec["profile"] == "connect" else "ponto_api"
            link = owner.get((profile, attrs.get("resourceId")))
            if link:
                per_account[link, attrs["resourceId"]] += 1
        per_link = {}
        for (link, _ref), n in per_account.items():
            per_link[link] = max(per_link.get(link, 0), n)
        return per_link


def run(settings, rounds, fetchers):
    with ConcurrencyCampaign(settings, rounds=rounds, fetchers=fetchers) as campaign:
        return campaign.run()
