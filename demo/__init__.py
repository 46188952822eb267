"""Demo data for codelake: builds real crawl dumps from source trees on this machine."""
