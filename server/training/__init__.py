"""The training engine: the tutorial's loops, the devices they run on, and the run manager."""
