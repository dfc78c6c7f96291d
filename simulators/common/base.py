"""``SimulatorBase``: the parts every simulator has in common.

A subclass sets ``KNOB_DEFAULTS`` (name -> default), ``KNOBS`` (the names),
``STATE`` (attributes deep-copied by a checkpoint) and ``LOGS`` (lists copied
as new containers of the same entries); it provides :meth:`_seed_state` (what
a new simulator starts with, calling :meth:`_apply_knobs`), ``start``,
``faults`` and ``requests``.
"""

import copy
import shutil
import threading

from .clock import Clock


class SimulatorBase:
    KNOB_DEFAULTS, KNOBS, STATE, LOGS = {}, (), (), ()

    def __init__(self, port=0, seed=1, host="127.0.0.1", anchor_date=None, **knobs):
        unknown = set(knobs) - set(self.KNOBS)
        if unknown:
            raise TypeError("unknown knobs: {}".format(", ".join(sorted(unknown))))
        self.host, self.port, self.seed = host, port, seed
        self.anchor_date = anchor_date or Clock().now().date()
        self.lock = threading.RLock()
        self._httpd = self._ca = self._tmpdir = None
        self._knobs = {
            name: knobs.get(name, default)
            for name, default in self.KNOB_DEFAULTS.items()
        }
        self._checkpoint = None

    def _apply_knobs(self):
        """The constructor's knobs again, and the real clock."""
        for name, value in copy.deepcopy(self._knobs).items():
            setattr(self, name, value)
        self.clock = Clock()

    # --- checkpoint and reset (one server for several tests) -------------------
    def checkpoint(self):
        """Remember the state as it is now (the ``STATE`` attributes, knobs,
        logs, the clock's reading) as the one :meth:`reset` goes back to."""
        with self.lock:
            self._checkpoint = (self.now(), self._copy_state(vars(self)))

    def clear_checkpoint(self):
        """Forget the checkpoint: :meth:`reset` goes back to the seeded state."""
        self._checkpoint = None

    def reset(self):
        """Back to the last :meth:`checkpoint`, its clock reading included (the
        clock runs on from there), or to what a new simulator starts with when
        none was taken. The server, its port and its TLS material stay. A
        request still in flight is not waited for."""
        with self.lock:
            if self._checkpoint is None:
                self._reset_to_seed()
                return self
            moment, state = self._checkpoint
            self._restore(state)
            self.clock.offset = (moment - self.clock.now()).total_seconds()
        return self

    def _reset_to_seed(self):
        self._seed_state()

    def _restore(self, state):
        for name, value in self._copy_state(state).items():
            setattr(self, name, value)
        self.clock = Clock()

    def _copy_state(self, source):
        state = copy.deepcopy(
            {name: source[name] for name in (*self.KNOBS, *self.STATE)}
        )
        # logs and tables whose entries never change once added: new containers
        state.update({name: copy.copy(source[name]) for name in self.LOGS})
        return state

    # --- life cycle ----------------------------------------------------------
    def stop(self):
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd.close_all()
            self._httpd = None
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def root_url(self):
        return f"https://{self.host}:{self.port}"

    @property
    def ca_file(self):
        return self._ca.ca_file if self._ca else None

    # --- clock -----------------------------------------------------------------
    def now(self):
        return self.clock.now()

    def advance(self, seconds=0.0, minutes=0.0, hours=0.0, days=0.0):
        """Move the simulator's clock on."""
        return self.clock.advance(seconds, minutes, hours, days)

    # --- faults and the request log ----------------------------------------------
    def clear_faults(self):
        self.faults.clear()

    def count(self, method=None, path_glob=None, status=None, profile=None):
        """How many logged requests match (``path_glob`` on the route or the path)."""
        return sum(
            1
            for r in list(self.requests)
            if r.matches(method, path_glob, status, profile)
        )

    def reset_log(self):
        self.requests = []

    def log_request(self, record):
        if record.profile != "control":
            self.requests.append(record)
