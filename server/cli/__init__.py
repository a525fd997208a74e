"""The `lossboard` command: `serve`, and the client commands that talk to a server."""
