"""Campaign results: what the calls earned, measured against the control group."""
