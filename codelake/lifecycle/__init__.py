"""A dump's life after ingestion: archived landing copies, retiring a dump, opt-out (takedown) requests."""
