"""The HTTP side: the app factory, routes, dependencies, schemas and the live stream."""
