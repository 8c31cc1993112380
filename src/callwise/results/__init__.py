"""Campaign results: what the calls earned against the control group, and who earned it."""

"""Campaign results: what a finished campaign earned against its randomised control group."""
