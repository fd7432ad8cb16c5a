from xietong.platform import Module

from .apps import boom

MODULE = Module(key="boom", label="Boom", sweeps=(("boom", boom),))
