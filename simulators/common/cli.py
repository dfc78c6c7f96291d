"""The command line of ``python3 -m simulators <name>``: common options,
``--knob NAME=JSON``, and running a started simulator until Ctrl-C/SIGTERM."""

import argparse
import json
import signal
import time


def parser(prog, knob_example):
    out = argparse.ArgumentParser(prog=prog)
    out.add_argument("--port", type=int, default=0)
    out.add_argument("--seed", type=int, default=1)
    out.add_argument("--host", default="127.0.0.1")
    out.add_argument(
        "--knob",
        action="append",
        default=[],
        metavar="NAME=JSON",
        help=f"set a knob, e.g. {knob_example}",
    )
    return out


def knobs(items):
    """``["a=1", "b=null", "c=text"]`` -> ``{"a": 1, "b": None, "c": "text"}``."""
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            out[name] = json.loads(value)
        except ValueError:
            out[name] = value
    return out


def run_forever(sim):
    """Serve until Ctrl-C or SIGTERM, then stop the simulator."""

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
