"""One module per dashboard page: its ``PAGE`` entry and its ``router``."""
