"""Ponto Connect webhooks against a real server: a new line in the journal in
under a minute, with the import cron as in production (a prefork cron
worker that sleeps until its next hourly call or a trigger; woken by the
``cron_trigger`` NOTIFY the webhook's ``ir.cron._trigger()`` sends).

Per event: new transactions at the bank, Ponto reads it on its own
(``/_sim/accounts/{id}/provider-sync``) and, with the simulator's knob
``webhook_url`` set to Odoo's route, POSTs its ``transactionsCreated`` event
there, from a thread of its own. The latency is measured from the moment the
simulator sends the event (``sent_at`` of its delivery log: the POST reaches
Odoo on loopback within a millisecond) to the moment the database shows every
new line committed: a deadline loop reads the journal every 20 ms through
its own autocommit connection (which sees only committed rows). No sleep
stands for the cron: if the trigger did not wake it, the lines would wait for
its next call, an hour later, and the deadline (60 s) fails the campaign.

Then (``negatives``): forged, tampered, expired and foreign events for new
transactions are refused (401), leave no trigger, no mark on the account, no
event recorded, nothing imported, and their body is not in Odoo's log; the
same genuine event delivered twice at once (two workers) and once more later
imports its lines once. ``final_check()`` closes the campaign.
"""

import statistics
import time

from chaos_campaign import Campaign, log
from chaos_sim import wait_for

PATH = "/bank_sync/webhook/ponto"
CREATED = "pontoConnect.account.transactionsCreated"
LOGGER = "odoo.addons.account_bank_sync.models.bank_sync_webhook_ponto"
#: the issue's bound from the event's arrival to the line in the journal
DEADLINE = 60.0
POLL = 0.02


class WebhookCampaign(Campaign):
    name = "webhooks"
    workers = 2  # an HTTP worker free for the event while another answers
    cron_threads = 1
    profiles = ("ponto_connect",)
    banks = ("kbc",)
    #: our route's log, and Odoo's retries after a concurrent update
    server_args = (
        f"--log-handler={LOGGER}:INFO",
        "--log-handler=odoo.service.model:INFO",
    )

    def select_accounts(self, accounts):
        return {"kbc": [a for a in accounts["kbc"] if a["key"] == "kbc-checking"]}

    # --- what the database shows ------------------------------------------------------
    def committed(self, refs):
        return self.db.one(
            "SELECT count(*) FROM account_bank_statement_line "
            "WHERE bank_sync_ref = ANY(%s)",
            [list(refs)],
        )

    def last_trigger(self):
        """The newest trigger of the import job (0: none); Odoo deletes the
        ones a job run consumed, so only a larger id is a new one."""
        return self.db.one(
            "SELECT coalesce(max(id), 0) FROM ir_cron_trigger WHERE cron_id = %s",
            [self.db.cron_id],
        )

    def triggered_since(self, last):
        return self.db.one(
            "SELECT count(*) FROM ir_cron_trigger WHERE cron_id = %s AND id > %s",
            [self.db.cron_id, last],
        )

    def marked(self, account_id):
        return self.db.one(
            "SELECT provider_fetched_at FROM bank_sync_account WHERE id = %s",
            [account_id],
        )

    def events_recorded(self, event_id):
        return self.db.one(
            "SELECT count(*) FROM bank_sync_webhook_event WHERE event_ref = %s",
            [event_id],
        )

    # --- the simulator's deliveries ---------------------------------------------------
    def deliveries(self):
        return self.sim.control("GET", "webhooks")["deliveries"]

    def send(self, account_ref, **options):
        """The simulator signs an event and POSTs it to Odoo; returns its
        delivery once Odoo answered."""
        delivery = self.sim.control(
            "POST",
            "webhooks",
            {
                "url": self.server.url + PATH,
                "event_type": CREATED,
                "account_id": account_ref,
                **options,
            },
        )["delivery"]
        return self.delivered(lambda d: d["delivery"] == delivery)

    def delivered(self, match, timeout=30):
        found = wait_for(
            lambda: [d for d in self.deliveries() if match(d)], timeout, interval=0.02
        )
        return found[0] if found else None

    def wait_lines(self, refs, deadline):
        """Poll the journal until ``refs`` are all committed; the moment they
        were seen (``time.time()``), or None past ``deadline``."""
        while True:
            if self.committed(refs) >= len(refs):
                return time.time()
            if time.time() > deadline:
                return None
            time.sleep(POLL)

    # --- one event, as in production -------------------------------------------------
    def one_event(self, account, count):
        """Ponto reads the bank and tells Odoo: ``(seconds from the event's
        sending to its lines committed, seconds Odoo took to answer it)``
        (None: not within the deadline)."""
        ref = account["account_ref"]
        refs = self.sim.queue(ref, count)
        known = {d["delivery"] for d in self.deliveries()}
        started = time.time()
        self.sim.control("POST", f"accounts/{ref}/provider-sync")
        seen = self.wait_lines(refs, started + DEADLINE + 5)
        delivery = self.delivered(
            lambda d: d["delivery"] not in known and d["event_type"] == CREATED
        )
        if delivery is None or delivery["status"] != 200:
            self.figures.fail(f"the event was not accepted: {delivery}")
            return None
        if seen is None or seen - delivery["sent_at"] > DEADLINE:
            self.figures.fail(
                f"{count} new line(s) not in the journal {DEADLINE:.0f}s after the "
                f"event (committed: {self.committed(refs)})"
            )
            return None
        answer = delivery["answered_at"] - delivery["sent_at"]
        return seen - delivery["sent_at"], answer

    def latencies(self, events):
        """``events`` events one after the other: their ``(latency, answer
        time)`` (seconds)."""
        self.sim.set_knobs(webhook_url=self.server.url + PATH)
        out = []
        for index in range(events):
            account = self.accounts[index % len(self.accounts)]
            latency = self.one_event(account, self.rng.randint(1, 5))
            if latency is None:
                break
            out.append(latency)
        self.sim.set_knobs(webhook_url=None)
        return out

    # --- refused and repeated events --------------------------------------------------
    def negatives(self):
        f = self.figures
        account = self.accounts[0]
        ref = account["account_ref"]
        refs = self.sim.queue(ref, 2)
        self.sim.control("POST", f"accounts/{ref}/provider-sync")  # Odoo not told
        variants = {
            "forged": {"forge_signature": True},
            "tampered": {"tamper_body": True},
            "expired": {"issued_at": time.time() - 3600},
            "another application": {"audience": "another-application"},
        }
        for name, options in variants.items():
            event_id = f"refused-{name.replace(' ', '-')}"
            last = self.last_trigger()
            delivery = self.send(ref, event_id=event_id, count=2, **options)
            status = delivery and delivery["status"]
            if status != 401:
                f.fail(f"the {name} event was answered {status}, not 401")
            if self.triggered_since(last) or self.marked(account["account_id"]):
                f.fail(f"the {name} event asked for an import")
            if self.events_recorded(event_id):
                f.fail(f"the {name} event was recorded")
            if self.server.log_count(event_id):
                f.fail(f"the body of the {name} event is in Odoo's log")
            f.add("refused")
        if self.committed(refs):
            f.fail("a refused event imported lines")
        # the genuine event, delivered twice at once, then once more
        started = time.time()
        first, second = (
            self.sim.control(
                "POST",
                "webhooks",
                {
                    "url": self.server.url + PATH,
                    "event_type": CREATED,
                    "account_id": ref,
                    "event_id": "repeated",
                    "count": 2,
                },
            )["delivery"]
            for _ in range(2)
        )
        seen = self.wait_lines(refs, started + DEADLINE)
        answers = [
            self.delivered(lambda d, i=i: d["delivery"] == i) for i in (first, second)
        ]
        if [a and a["status"] for a in answers] != [200, 200]:
            f.fail(f"the repeated event was answered {answers}")
        if seen is None:
            f.fail("the repeated event's lines did not come")
        last = self.last_trigger()
        later = self.send(ref, event_id="repeated", count=2)
        if not later or later["status"] != 200:
            f.fail(f"the third delivery was answered {later}")
        if self.triggered_since(last) or self.marked(account["account_id"]):
            f.fail("the third delivery of an event asked for an import again")
        if self.events_recorded("repeated") != 1:
            f.fail("the repeated event is not recorded once")
        again = self.server.log_count("received again")
        if again != 2:
            f.fail(f"the event was acted on more than once ({again} + 1 receipts)")
        if self.committed(refs) != len(refs) or self.db.duplicates():
            f.fail("the repeated event's lines are not in the journal once")
        f.add("repeated", 3)

    def run_campaign(self, events, negatives=True):
        f = self.figures
        took = self.run_cron(timeout=300)
        if took is None:
            f.fail("the first import did not finish in 300 s")
            return f
        log(f"{self.name}: first import took {took:.1f}s; now {events} events")
        measured = self.latencies(events)
        found = [latency for latency, _answer in measured]
        f.answers = [answer for _latency, answer in measured]
        f.counts["events"] = len(found)
        if found:
            f.counts["latency_median_s"] = round(statistics.median(found), 2)
            f.counts["latency_max_s"] = round(max(found), 2)
            f.counts["answer_max_s"] = round(max(f.answers), 2)
            f.counts["served_again"] = self.server.log_count("tries left, try again")
            log(
                f"{self.name}: webhook-to-line (Odoo's answer) "
                + ", ".join(f"{x:.2f}s ({a:.2f}s)" for x, a in measured)
            )
        if negatives:
            self.negatives()
            self.final_check()
        f.latencies = found
        return f


def run(settings, events=5, negatives=True):
    with WebhookCampaign(settings) as campaign:
        return campaign.run_campaign(events, negatives)
