"""callwise: outbound-call precision marketing for banks."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("callwise")  # pyproject.toml's version, the only place it is written
except PackageNotFoundError:  # a source tree nobody installed: say so rather than guess
    __version__ = "0+unknown"
