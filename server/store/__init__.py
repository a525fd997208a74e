"""Persistence below the engine: the SQLite store, its migrations, recovery on open, the runs
list's queries and the sweeps table. Imports nothing from server.training or server.web."""
