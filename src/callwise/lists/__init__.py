"""lists stage."""
