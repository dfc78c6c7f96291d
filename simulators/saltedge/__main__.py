"""``python3 -m simulators saltedge [--port N] [--seed N] [--knob k=v]`` (or
``python3 -m simulators.saltedge``): run a simulator in the foreground, print
where it listens and what a client needs, until Ctrl-C."""

import sys

from ..common import cli


def describe(sim):
    info = sim.seed_info()
    lines = [
        f"Salt Edge simulator (seed {info['seed']}) listening",
        f"  API v6            : {sim.api_url}",
        f"  control           : {sim.root_url}/_control/seed",
        f"  trust this CA     : {sim.ca_file}",
        f"  App-id / Secret   : {sim.app_id} / {sim.secret}",
        f"  app key (signing) : {sim.TEST_PRIVATE_KEY_FILE}",
        f"  callback key (pub): {sim.callback_public_key_file}",
    ]
    if sim.autoplay_pages:
        lines.append("  widget pages      : play themselves (autoplay_pages)")
    lines.append("Providers")
    for p in info["providers"]:
        lines.append("  {code:32} {country_code} {status:9} {name}".format(**p))
    lines.append(f"Seeded customer {info['seed_customer_id']}")
    for conn in info["connections"]:
        lines.append(f"  connection {conn['id']} @ {conn['provider_code']}")
        for acc in conn["accounts"]:
            lines.append(
                "    account {id} {iban} {transactions} transactions".format(**acc)
            )
    lines.append("Press Ctrl-C to stop.")
    return "\n".join(lines)


def main(argv=None):
    args = cli.parser(
        "python3 -m simulators saltedge",
        "--knob refresh_polls=0 --knob autoplay_pages=true",
    ).parse_args(argv)
    from .simulator import SaltEdgeSimulator

    sim = SaltEdgeSimulator(
        port=args.port, seed=args.seed, host=args.host, **cli.knobs(args.knob)
    ).start()
    print(describe(sim), flush=True)
    return cli.run_forever(sim)


if __name__ == "__main__":
    sys.exit(main())
