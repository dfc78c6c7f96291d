"""The simulators' clock: real time plus an offset that ``advance`` moves."""

import datetime as _dt

UTC = _dt.UTC


class Clock:
    """Real time plus an offset.

    Based on ``datetime.now(timezone.utc)`` looked up through the module at each
    call, so freezegun's patched ``datetime`` is honoured.
    """

    def __init__(self):
        self.offset = 0.0

    def now(self):
        return _dt.datetime.now(UTC) + _dt.timedelta(seconds=self.offset)

    def timestamp(self):
        return self.now().timestamp()

    def advance(self, seconds=0.0, minutes=0.0, hours=0.0, days=0.0):
        self.offset += seconds + minutes * 60 + hours * 3600 + days * 86400
        return self.now()
