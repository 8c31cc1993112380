"""Campaign results: what the calls earned against the control group, and who earned it."""
