"""The Ponto simulator as a process of its own, driven through ``/_sim/*``.

Odoo-free. Also the campaigns' oracle: the transactions the simulator shows
(read through the Ponto API with the custom integration, independently of the
addon's client), and the accounting of refresh tokens seen in its request log.
"""

import collections
import re
import subprocess
import sys
import time
from decimal import Decimal
from urllib.parse import parse_qsl

import requests

TIMEOUT = (5, 60)
#: knobs of every campaign: the whole history visible (no initial limit), no
#: "recently synchronized" refusal nor unattended quota at the simulator (the
#: engine keeps its own), one poll per synchronization
DEFAULT_KNOBS = {
    "initial_history_count": None,
    "resync_window_s": 0,
    "unattended_quota": None,
    "sync_polls": 1,
}


class Simulator:
    """``python3 -m simulators.ponto`` started from the addon's directory."""

    def __init__(self, addon_dir, log_path, seed=1, knobs=None):
        self.addon_dir, self.log_path, self.seed = addon_dir, log_path, seed
        self.knobs = {**DEFAULT_KNOBS, **(knobs or {})}
        self.proc = None
        self.info = {}
        self.session = requests.Session()
        # refresh-token accounting over the whole campaign (the log is cleared
        # between rounds, see collect())
        self.refresh_presented = collections.Counter()
        self.token_answers = collections.Counter()  # (grant, status) -> count
        self.requests_seen = 0

    # --- life cycle ------------------------------------------------------------
    def start(self):
        import json

        args = [sys.executable, "-m", "simulators.ponto", "--seed", str(self.seed)]
        for name, value in self.knobs.items():
            args += ["--knob", f"{name}={json.dumps(value)}"]
        self._log = open(self.log_path, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            args,
            cwd=self.addon_dir,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        lines = []
        for line in self.proc.stdout:
            lines.append(line)
            self._log.write(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        match = re.search(r"root / Ponto API : (\S+)", text)
        ca = re.search(r"trust this CA\s*: (\S+)", text)
        if not (match and ca):
            self.stop()
            raise RuntimeError(f"the simulator did not start:\n{text}")
        self.root_url, self.ca_file = match[1], ca[1]
        with open(self.ca_file) as handle:
            self.ca_pem = handle.read()
        self.info = self.control("GET", "seed")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    # --- control surface ---------------------------------------------------------
    def control(self, method, path, body=None):
        response = self.session.request(
            method,
            f"{self.root_url}/_sim/{path}",
            json=body,
            timeout=TIMEOUT,
            verify=self.ca_file,
        )
        if response.status_code >= 300:
            raise RuntimeError(
                f"simulator {method} /_sim/{path}: {response.status_code} "
                f"{response.text[:300]}"
            )
        return response.json()

    def accounts(self):
        return {acc["key"]: acc for acc in self.info["accounts"]}

    def add_fault(self, **fault):
        return self.control("POST", "faults", fault)

    def faults(self):
        return self.control("GET", "faults")["faults"]

    def clear_faults(self):
        self.control("DELETE", "faults")

    def advance(self, seconds):
        return self.control("POST", "advance", {"seconds": seconds})

    def set_knobs(self, **knobs):
        return self.control("POST", "knobs", knobs)

    def queue(self, account_id, count):
        return self.control(
            "POST", f"bank/{account_id}/transactions", {"count": count}
        )["ids"]

    def requests_log(self):
        return self.control("GET", "requests")["requests"]

    def collect(self, clear=True):
        """Fold the request log into the campaign's counters (token grants,
        refresh tokens presented); clear it afterwards. Returns the records."""
        records = self.requests_log()
        if clear:
            self.control("DELETE", "requests")
        self.requests_seen += len(records)
        for rec in records:
            if rec["method"] == "POST" and rec["route"].endswith("/oauth2/token"):
                form = dict(parse_qsl(rec.get("body") or ""))
                grant = form.get("grant_type", "?")
                self.token_answers[grant, rec["status"]] += 1
                if grant == "refresh_token":
                    self.refresh_presented[form.get("refresh_token", "")] += 1
        return records

    @property
    def refresh_reused(self):
        """Refresh tokens presented more than once (each extra use counts)."""
        return sum(n - 1 for n in self.refresh_presented.values() if n > 1)

    @property
    def refresh_refused(self):
        return sum(
            n
            for (grant, status), n in self.token_answers.items()
            if grant == "refresh_token" and status != 200
        )

    @property
    def refreshes(self):
        return self.token_answers.get(("refresh_token", 200), 0)

    # --- oracle -------------------------------------------------------------------
    def booked(self, account_id):
        """``{transaction id: amount}`` of every transaction the Ponto API shows
        for the account (custom integration; every integration sees the same
        history with ``initial_history_count`` off)."""
        client_id, secret = self.info["custom_client"]
        token = self.session.post(
            f"{self.root_url}/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id, secret),
            timeout=TIMEOUT,
            verify=self.ca_file,
        )
        token.raise_for_status()
        headers = {"Authorization": "Bearer " + token.json()["access_token"]}
        url = f"{self.root_url}/accounts/{account_id}/transactions?page[limit]=100"
        out = {}
        while url:
            page = self.session.get(
                url, headers=headers, timeout=TIMEOUT, verify=self.ca_file
            )
            page.raise_for_status()
            body = page.json()
            for item in body["data"]:
                out[item["id"]] = Decimal(str(item["attributes"]["amount"])).quantize(
                    Decimal("0.01")
                )
            url = (body.get("links") or {}).get("next")
            if url and url.startswith("/"):
                url = self.root_url + url
        return out


def in_flight(records, method, route_glob):
    """Records still without an answer (the simulator logs on arrival)."""
    import fnmatch

    return [
        r
        for r in records
        if r["method"] == method
        and r["status"] is None
        and fnmatch.fnmatchcase(r["route"], route_glob)
    ]


def wait_for(predicate, timeout, interval=0.05):
    """Poll ``predicate`` until it returns something truthy; returns it (or
    None after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)
