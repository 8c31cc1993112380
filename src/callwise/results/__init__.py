"""Campaign results: what a finished campaign earned against its randomised control group."""
