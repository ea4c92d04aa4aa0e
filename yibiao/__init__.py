"""yibiao (一表): collect every community fact once, produce every department's report from it."""

__version__ = "0.1.0"
