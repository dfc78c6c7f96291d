from . import main
from . import saltedge
