"""``python3 -m simulators ponto [--port N] [--seed N] [--knob k=v]`` (or
``python3 -m simulators.ponto``): run a simulator in the foreground, print
where it listens and what to trust, until Ctrl-C."""

import sys

from ..common import cli


def main(argv=None):
    args = cli.parser(
        "python3 -m simulators ponto",
        "--knob sync_polls=0 --knob initial_history_count=null",
    ).parse_args(argv)
    from .simulator import PontoSimulator

    sim = PontoSimulator(
        port=args.port, seed=args.seed, host=args.host, **cli.knobs(args.knob)
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
    return cli.run_forever(sim)


if __name__ == "__main__":
    sys.exit(main())
