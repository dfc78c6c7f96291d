"""``python3 -m simulators.ponto [--port N] [--seed N]``: run a simulator in the
foreground, print where it listens and what to trust, until Ctrl-C."""

import argparse
import json
import signal
import sys
import time


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python3 -m simulators.ponto")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument(
        "--knob",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help="set a knob, e.g. --knob sync_polls=0 --knob initial_history_count=null",
    )
    args = parser.parse_args(argv)
    from .simulator import PontoSimulator

    knobs = {}
    for item in args.knob:
        name, _, value = item.partition("=")
        try:
            knobs[name] = json.loads(value)
        except ValueError:
            knobs[name] = value
    sim = PontoSimulator(
        port=args.port, seed=args.seed, host=args.host, **knobs
    ).start()
    info = sim.seed_info()
    lines = [
        f"Ponto simulator (seed {args.seed}) listening",
        f"  root / Ponto API : {sim.root_url}",
        f"  Ponto Connect    : {sim.connect_url}",
        f"  authorization    : {sim.authorization_url}",
        f"  webhook keys     : {sim.root_url}/webhooks/keys",
        f"  control          : {sim.root_url}/_sim/seed",
        f"  trust this CA    : {sim.ca_file}",
        "Credentials",
        "  Ponto API custom integration: "
        f"client_id={sim.CUSTOM_CLIENT_ID} secret={sim.CUSTOM_CLIENT_SECRET}",
        "  Ponto Connect application   : "
        f"client_id={sim.CONNECT_CLIENT_ID} secret={sim.CONNECT_CLIENT_SECRET} "
        f"application_id={sim.application_id}",
        "Organisation {} ({})".format(
            info["organization_name"], info["organization_id"]
        ),
    ]
    for acc in info["accounts"]:
        lines.append(
            "  account {} {} {} {} @ {}".format(
                acc["id"],
                acc["iban"],
                acc["currency"],
                acc["subtype"],
                acc["institution"],
            )
        )
    lines.append("Press Ctrl-C to stop.")
    print("\n".join(lines), flush=True)

    def _terminate(*_args):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
