"""What the dashboard's pages show, as library functions over the ops DB and the lake (no web code here)."""
