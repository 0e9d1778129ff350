"""The RQ worker: `python -m worker`."""
