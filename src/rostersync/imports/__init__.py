"""OneRoster CSV imports: receive an upload, keep it with its `upload` run, sync it."""
