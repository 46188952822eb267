class DumpError(Exception):
    """A dump cannot be read as a whole (corrupt or truncated archive, a bomb, not a dump); names the dump."""
