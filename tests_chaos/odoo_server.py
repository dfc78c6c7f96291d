"""``python3 odoo_server.py <odoo server options>``: Odoo's own server (what
``odoo-bin`` runs) with two changes that only concern observation:

- no gevent websocket server beside the prefork workers: the campaigns do not
  use websockets, and that server needs packages (gevent's zope.interface) a CI
  image may lack, in which case the master respawns it in a loop;
- each worker names its database connections after its own pid
  (``application_name = odoo-<pid>``, what Odoo does for connections opened
  in the process), so pg_stat_activity tells which worker runs which query:
  the registry preloaded by the master would name them after the master.
"""

import os
import sys

import odoo
from odoo.modules.registry import Registry
from odoo.service import server


def _no_long_polling(self):
    self.long_polling_pid = None


_worker_start = server.Worker.start


def _start_with_own_name(self):
    _worker_start(self)
    name = f"odoo-{os.getpid()}"
    for registry in list(Registry.registries.values()):
        for connection in (registry._db, registry._db_readonly):
            if connection is not None:
                connection._Connection__dsn["application_name"] = name


server.PreforkServer.long_polling_spawn = _no_long_polling
server.Worker.start = _start_with_own_name

if __name__ == "__main__":
    sys.exit(odoo.cli.main())
