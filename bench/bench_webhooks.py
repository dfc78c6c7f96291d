"""W, the last figure of ``make bench`` (bench/run.sh): the webhook-to-line
latency, median and max over BENCH_WEBHOOKS (20) Ponto Connect events.

Measured as ``tests_chaos/chaos_webhooks.py`` does it (its campaign without
the refused events and the final check), on a copy of the bench's freshly
installed database: a prefork Odoo server (2 HTTP workers, 1 cron worker
asleep until a trigger or its hourly call), the Ponto simulator in a process
of its own with its knob ``webhook_url`` set to Odoo's route. Each event:
new transactions at the bank, Ponto reads them on its own and POSTs its
``transactionsCreated`` event; the time runs from the simulator's sending
of the event (it reaches Odoo on loopback within a millisecond) to the moment
every new line is committed (the journal read every 20 ms through an
autocommit connection). The events follow one another: the cron is idle
when each arrives.

Not part of the addon (no ``__init__.py``; Odoo never imports it).
"""

# pylint: disable=print-used

import argparse
import os
import statistics
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests_chaos"))

import chaos_webhooks  # noqa: E402
from chaos_campaign import Settings  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--addon-dir", required=True)
    parser.add_argument("--build", required=True)
    parser.add_argument("--conf", required=True)
    parser.add_argument("--template", required=True)
    parser.add_argument("--events", type=int, default=20)
    args = parser.parse_args(argv)
    settings = Settings(
        addon_dir=args.addon_dir,
        build_dir=args.build,
        base_conf=args.conf,
        template_db=args.template,
        seed=1,
    )
    print(f"W: {args.events} webhook events to a prefork server...", flush=True)
    figures = chaos_webhooks.run(settings, events=args.events, negatives=False)
    found, answers = figures.latencies, figures.answers
    print()
    if found:
        median, longest = statistics.median(found), max(found)
        print(
            f"W webhook-to-line latency over {len(found)} events: median "
            f"{median:.2f}s, max {longest:.2f}s (Ponto Connect transactionsCreated "
            "sent -> its lines committed; prefork server, its cron worker woken "
            f"by the trigger; the bound is {chaos_webhooks.DEADLINE:.0f}s)"
        )
        print(
            f"   Odoo answered each event in {1000 * statistics.median(answers):.0f}"
            f" ms (median), {max(answers):.2f}s at most; "
            f"{figures.counts.get('served_again', 0)} request(s) served again "
            "after a concurrent update (an event that came as the previous import "
            "ended: Odoo waits up to 2 s before serving it again)"
        )
    for failure in figures.failures:
        print(f"   WARNING: {failure}")
    return 1 if figures.failures or len(found) < args.events else 0


if __name__ == "__main__":
    sys.exit(main())
