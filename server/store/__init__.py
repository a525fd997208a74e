"""Persistence below the engine: runs, their series, sweeps, in SQLite."""
