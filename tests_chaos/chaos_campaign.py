"""What every campaign shares: a database of its own (a copy of the template
where the module is installed), a simulator process, a prefork Odoo server,
connections set up as a user would, clean runs and the final check."""

import json
import os
import random
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field

import requests
from chaos_odoo import Database, OdooServer, Rpc, copy_database, drop_database
from chaos_sim import Simulator, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass
class Settings:
    """Where things are; filled from the environment by .ci/chaos.sh."""

    addon_dir: str
    build_dir: str
    base_conf: str
    template_db: str
    keep_db: bool = False
    seed: int = 1

    @classmethod
    def from_env(cls):
        env = os.environ
        missing = [
            name
            for name in (
                "CHAOS_ADDON_DIR",
                "CHAOS_BUILD",
                "CHAOS_CONF",
                "CHAOS_TEMPLATE_DB",
            )
            if not env.get(name)
        ]
        if missing:
            return None
        return cls(
            addon_dir=env["CHAOS_ADDON_DIR"],
            build_dir=env["CHAOS_BUILD"],
            base_conf=env["CHAOS_CONF"],
            template_db=env["CHAOS_TEMPLATE_DB"],
            keep_db=env.get("KEEP_DB") == "1",
            seed=int(env.get("CHAOS_SEED") or random.SystemRandom().randrange(10**6)),
        )


@dataclass
class Figures:
    """What a campaign did and found; printed as its summary line."""

    name: str
    counts: dict = field(default_factory=dict)
    failures: list = field(default_factory=list)

    def add(self, key, n=1):
        self.counts[key] = self.counts.get(key, 0) + n

    def fail(self, message):
        self.failures.append(message)

    def line(self):
        parts = [f"{k}={v}" for k, v in self.counts.items()]
        verdict = "PASS" if not self.failures else f"FAIL ({len(self.failures)})"
        return f"{self.name}: {', '.join(parts)} -> {verdict}"


def log(message):
    sys.stdout.write(f"[{time.strftime('%H:%M:%S')}] {message}\n")
    sys.stdout.flush()


class Campaign:
    """One database, one simulator, one Odoo server; links connected and
    mapped; ``final_check()`` compares the journals with the simulator."""

    name = "campaign"
    workers = 1
    cron_threads = 1
    limit_time_real = 120
    limit_time_cpu = 60
    profiles = ("ponto_connect", "ponto_api")
    banks = ("kbc", "bnp")
    sim_knobs = {}
    params = {}
    #: more options of the Odoo server
    server_args = ()

    def __init__(self, settings):
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.figures = Figures(self.name)
        suffix = f"{time.strftime('%H%M%S')}_{uuid.uuid4().hex[:6]}"
        self.db_name = f"chaos_{self.name}_{suffix}"
        self.workdir = os.path.join(settings.build_dir, "chaos", self.db_name)
        os.makedirs(self.workdir, exist_ok=True)
        self.sim = self.server = self.db = None
        self.links, self.accounts = [], []

    # --- set-up ---------------------------------------------------------------------
    def __enter__(self):
        try:
            self.prepare()
        except BaseException:
            self.teardown()
            raise
        return self

    def __exit__(self, *exc):
        self.teardown()

    def path(self, name):
        return os.path.join(self.workdir, name)

    def prepare(self):
        s = self.settings
        log(
            f"{self.name}: database {self.db_name} (seed {s.seed}), "
            f"logs in {self.workdir}"
        )
        copy_database(s.template_db, self.db_name, os.path.join(s.build_dir, "data"))
        self.conf = self.path("odoo.conf")
        with open(s.base_conf) as src, open(self.conf, "w") as dst:
            for line in src:
                dst.write(
                    f"db_name = {self.db_name}\n"
                    if line.startswith("db_name")
                    else line
                )
        self.sim = Simulator(
            s.addon_dir, self.path("simulator.log"), seed=1, knobs=self.sim_knobs
        ).start()
        self.db = Database(self.db_name)
        self.db.only_import_cron()
        self.db.park_cron()
        self.server = self.new_server()
        self.server.start()
        result = self.odoo_side(
            "setup",
            {
                "sim": self.sim.info,
                "ca": self.sim.ca_pem,
                "server_url": self.server.url,
                "profiles": list(self.profiles),
                "banks": list(self.banks),
                "params": self.params,
            },
        )
        self.links = result["links"]
        self.authorize(result["auth_urls"])
        accounts = {}
        for acc in self.sim.info["accounts"]:
            accounts.setdefault(acc["key"].split("-")[0], []).append(acc)
        self.accounts = self.odoo_side(
            "map", {"links": self.links, "accounts": self.select_accounts(accounts)}
        )["accounts"]
        self.check_states(("connected",))
        self.sim.collect()
        log(
            f"{self.name}: {len(self.links)} connections, {len(self.accounts)} "
            f"journals, Odoo on {self.server.url} (workers {self.server_pids()})"
        )

    def select_accounts(self, accounts):
        return accounts

    def new_server(self):
        return OdooServer(
            self.settings.build_dir,
            self.conf,
            self.db_name,
            self.path("odoo.log"),
            workers=self.workers,
            cron_threads=self.cron_threads,
            limit_time_real=self.limit_time_real,
            limit_time_cpu=self.limit_time_cpu,
            extra_args=self.server_args,
        )

    def server_pids(self):
        return self.server.workers_pids()

    def odoo_side(self, command, data):
        proc = subprocess.run(
            [
                sys.executable,
                os.path.join(HERE, "odoo_side.py"),
                self.conf,
                self.db_name,
                command,
            ],
            input=json.dumps(data),
            capture_output=True,
            text=True,
            cwd=self.settings.build_dir,
            env=dict(os.environ, TZ="UTC"),
            timeout=600,
            check=False,
        )
        with open(self.path(f"odoo_side_{command}.log"), "w") as handle:
            handle.write(proc.stdout + proc.stderr)
        for line in reversed(proc.stdout.splitlines()):
            if line.startswith("RESULT "):
                return json.loads(line[len("RESULT ") :])
        raise RuntimeError(
            f"odoo_side {command} failed ({proc.returncode}):\n{proc.stderr[-3000:]}"
        )

    def authorize(self, auth_urls):
        """Ponto Connect: what the user's browser does on the authorization page,
        then back to Odoo (the OAuth return route) logged in as admin."""
        if not auth_urls:
            return
        rpc = Rpc(self.server.url, self.db_name)
        for link_id, url in auth_urls.items():
            page = requests.get(url, verify=self.sim.ca_file, timeout=30)
            page.raise_for_status()
            request_id = re.search(r'name="auth_request" value="([^"]+)"', page.text)[1]
            answer = requests.post(
                self.sim.info["authorization_url"],
                data={"auth_request": request_id, "decision": "authorize"},
                verify=self.sim.ca_file,
                allow_redirects=False,
                timeout=30,
            )
            location = answer.headers.get("Location", "")
            back = rpc.get(location, allow_redirects=False)
            if back.status_code not in (302, 303):
                raise RuntimeError(
                    f"the OAuth return of connection {link_id} answered "
                    f"{back.status_code}: {back.text[:500]}"
                )
        self.check_states(("authorized", "connected"))

    def check_states(self, states):
        """Every connection in one of ``states`` (authorised: no account
        mapped yet; connected once one is)."""
        found = self.db.links()
        for link in self.links:
            if found[link["id"]]["state"] not in states:
                raise RuntimeError(f"connection {link} is {found[link['id']]}")

    def teardown(self):
        for part in (self.server, self.sim):
            if part is not None:
                try:
                    part.stop()
                except Exception as exc:
                    log(f"stopping {part}: {exc}")
        if self.db is not None:
            self.db.close()
        if self.settings.keep_db:
            log(f"{self.name}: kept database {self.db_name} (KEEP_DB=1)")
        else:
            drop_database(self.db_name, os.path.join(self.settings.build_dir, "data"))

    # --- driving the scheduler -----------------------------------------------------
    def cron_idle(self):
        return not self.db.cron_pending() and not self.db.busy_pids()

    def run_cron(self, timeout=300, due=True):
        """Make everything due, wake the cron workers up, wait until the job is
        done (not due any more, no transaction open). Returns the seconds it
        took, or None on timeout."""
        if due:
            self.db.make_links_due()
        self.db.make_cron_due()
        return self.wait_job(timeout)

    def wait_job(self, timeout=300):
        """Wait until the job is done (see run_cron)."""
        started = time.monotonic()
        last_notify = 0.0
        idle_since = None
        while time.monotonic() - started < timeout:
            now = time.monotonic()
            due_now = self.db.cron_due()
            busy = self.db.busy_pids()
            pending = due_now or self.db.cron_pending()
            if due_now and not busy and now - last_notify > 1.0:
                # the next scheduler tick (Odoo polls every minute; a partially
                # done job is picked up again there)
                self.db.notify_cron()
                last_notify = now
            if not pending and not busy:
                idle_since = idle_since or now
                if now - idle_since > 0.3:
                    return now - started
            else:
                idle_since = None
            time.sleep(0.1)
        return None

    # --- the final check ----------------------------------------------------------
    def final_check(self):
        """A clean run, a forced token refresh and a last run; then every
        journal equals what the simulator shows, no line twice, every connection
        still connected, no refresh token presented twice."""
        f = self.figures
        self.sim.clear_faults()
        for attempt in range(1, 6):
            took = self.run_cron(timeout=600)
            if took is None:
                f.fail("the clean run did not finish in 600 s")
                break
            log(f"{self.name}: clean run {attempt} took {took:.1f}s")
            if not self.db.cron_pending():
                break
        # every access token expired at the simulator: each Ponto Connect
        # connection must refresh with the refresh token it stored
        self.sim.collect()
        self.sim.advance(self.sim_knobs.get("access_ttl_s", 1799) + 120)
        before = self.sim.refreshes
        took = self.run_cron(timeout=600)
        if took is None:
            f.fail("the last run (forced refresh) did not finish in 600 s")
        self.sim.collect()
        connect_links = [
            link for link in self.links if link["profile"] == "ponto_connect"
        ]
        refreshed = self.sim.refreshes - before
        if refreshed < len(connect_links):
            f.fail(
                f"only {refreshed} of {len(connect_links)} Ponto Connect connections "
                "refreshed their token in the last run"
            )
        states = self.db.links()
        lost = 0
        for link in self.links:
            state = states[link["id"]]
            if state["state"] != "connected" or state["code"]:
                if link["profile"] == "ponto_connect":
                    lost += 1
                f.fail(
                    f"connection {link['id']} ({link['profile']} {link['bank']}) is "
                    f"{state['state']} {state['code'] or ''}: "
                    f"{(state['message'] or '')[:160]}"
                )
        lines = missing = extra = wrong = 0
        for acc in self.accounts:
            expected = self.sim.booked(acc["account_ref"])
            got = self.db.lines(acc["journal_id"])
            lines += len(got)
            miss = set(expected) - set(got)
            more = set(got) - set(expected)
            bad = [r for r in set(expected) & set(got) if expected[r] != got[r]]
            missing, extra, wrong = (
                missing + len(miss),
                extra + len(more),
                wrong + len(bad),
            )
            if miss or more or bad:
                f.fail(
                    f"journal {acc['journal_id']} ({acc['profile']} "
                    f"{acc['account_key']}): {len(got)} lines for {len(expected)} "
                    f"booked, {len(miss)} missing, {len(more)} unknown, "
                    f"{len(bad)} wrong amounts"
                )
        dups = self.db.duplicates()
        if dups:
            f.fail(f"{dups} statement lines imported twice")
        reused, refused = self.sim.refresh_reused, self.sim.refresh_refused
        if reused:
            f.fail(f"{reused} refresh tokens were presented again after their use")
        if refused:
            f.fail(f"{refused} refresh grants were refused by the simulator")
        f.counts.update(
            lines=lines,
            missing=missing,
            extra=extra,
            wrong_amounts=wrong,
            duplicates=dups,
            lost=lost,
            refreshes=self.sim.refreshes,
            refresh_tokens_reused=reused,
            refresh_refused=refused,
        )
        return f

    def queue_some(self, max_count=30):
        """New transactions at the bank on one to three random accounts."""
        keys = sorted({acc["account_ref"] for acc in self.accounts})
        queued = 0
        for ref in self.rng.sample(keys, self.rng.randint(1, min(3, len(keys)))):
            n = self.rng.randint(1, max_count)
            self.sim.queue(ref, n)
            queued += n
        self.figures.add("queued", queued)
        return queued

    def wait_idle(self, timeout=60):
        return wait_for(lambda: not self.db.busy_pids(), timeout)
