"""code_corpus: the filtered corpus resampled per language by a mixture file (Java and HTML down)."""

from codelake.code_corpus.mixture import Mixture
from codelake.code_corpus.stage import run_code_corpus

__all__ = ["Mixture", "run_code_corpus"]
