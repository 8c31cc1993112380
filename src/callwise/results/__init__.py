"""Campaign results: the experiment as recorded, the per-member frame, and what the calls earned."""
