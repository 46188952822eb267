"""The pipeline's row stages in order: `why` walks a file through them, `stats` lists them."""

CODE_STAGES = ["raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filtered", "code_corpus"]
# Stages that pack documents into training shards: a file's row there lists where its tokens went.
SHARD_STAGES = ["pretrain_shards", "annealing_shards"]
