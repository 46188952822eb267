"""The pipeline's row stages in order: `why` walks a file through them, `stats` lists them."""

CODE_STAGES = ["raw_files", "exact_dedup", "fuzzy_dedup", "transformed", "filtered", "code_corpus"]
# A web page's stages; its tables name it by (domain, url) where a file has (repo, path).
WEB_STAGES = ["web_pages", "web_text", "code_web_recall", "code_web_corpus"]
# Each branch: its stages and the columns that say which document a row is.
BRANCHES = {"code": (CODE_STAGES, ("repo", "path", "dump")), "web": (WEB_STAGES, ("domain", "url", "dump"))}
# Stages that pack documents into training shards: a file's row there lists where its tokens went.
SHARD_STAGES = ["pretrain_shards", "annealing_shards"]
