"""callwise: outbound-call precision marketing for banks."""

__version__ = "0.2.0"
