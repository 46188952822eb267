"""The `transformed` stage engine: copyright/license header removal and PII/secret placeholders.

RefineCode's transformation step (see ../shared/REFINECODE.md §1): files are kept, their copyright
notices at the top are removed and personal / secret data is replaced by `<EMAIL>`, `<IP_ADDRESS>`,
`<KEY>`, `<PASSWORD>`. Rules are data in rules/transform/*.yaml.
"""

from codelake.transformed.engine import REASON, TransformResult, change_detail, default_rules, transform_batch, transform_text
from codelake.transformed.rules import TransformRules
from codelake.transformed.stage import run_transformed

__all__ = ["REASON", "TransformResult", "TransformRules", "change_detail", "default_rules", "run_transformed", "transform_batch", "transform_text"]
