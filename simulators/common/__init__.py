"""What the simulators share: the life cycle, clock, checkpoints and request
log of a simulator (``base``) and the command line that runs one (``cli``).
The HTTPS plumbing and the test CA stay in ``simulators/ponto`` (``server``,
``tls``), which the other simulators import."""
