from . import main
from . import saltedge
from . import ponto
