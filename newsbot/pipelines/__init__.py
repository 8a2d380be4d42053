"""Item pipelines, in the order they run: clean, normalize, write."""
