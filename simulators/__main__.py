"""``python3 -m simulators <name> [options]``: run one simulator in the
foreground (``ponto`` or ``saltedge``; ``--help`` after the name for its
options). ``python3 -m simulators.<name>`` works as well."""

import importlib
import sys

SIMULATORS = ("ponto", "saltedge")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in SIMULATORS:
        print(
            "usage: python3 -m simulators {{{}}} [options]".format(
                ",".join(SIMULATORS)
            ),
            file=sys.stderr,
        )
        return 2
    module = importlib.import_module(f"simulators.{argv[0]}.__main__")
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main())
