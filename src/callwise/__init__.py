"""callwise: outbound-call precision marketing for banks."""

__version__ = "0.1.0"
