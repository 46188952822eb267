"""codelake: the engine of an open, reproducible data lakehouse for code LLMs.

Plain Python over Arrow, Polars, DuckDB and Delta Lake; nothing here imports Dagster, so every stage
runs the same from a notebook, the CLI, a benchmark or a Ray worker.
"""

__version__ = "0.1.0"
