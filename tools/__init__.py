"""Developer tools around the service (not installed with it, not imported by it)."""
