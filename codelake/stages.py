"""The code pipeline's stages in order: `why` walks a file through them, `stats` lists them."""

CODE_STAGES = ["raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filtered", "code_corpus"]
