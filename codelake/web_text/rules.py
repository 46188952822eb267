"""rules/web_text.yaml as a typed object."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from codelake.exact_dedup.survivors import SurvivorOrder
from codelake.rules import RuleFileError, load_rule_file, require
from codelake.settings import RULES_DIR, codelake_home

WEB_TEXT_RULES = RULES_DIR / "web_text.yaml"
WEB_RANKABLE = {"fetch_time", "url", "dump", "doc_id", "size", "domain"}
WEB_UNIQUE_KEYS = ({"url", "dump"}, {"doc_id"})


@dataclass(frozen=True)
class LanguageRules:
    fasttext_model: Path | None  # None: the heuristic (resiliparse's profiles)
    sample_chars: int
    max_rank: int


@dataclass(frozen=True)
class WebTextRules:
    main_content: bool
    fallback_to_whole_page: bool
    min_text_chars: int
    language: LanguageRules
    exact_order: SurvivorOrder
    near_duplicate_preset: str
    batch_rows: int

    @classmethod
    def load(cls, path: str | Path = WEB_TEXT_RULES) -> "WebTextRules":
        data = load_rule_file(path)
        extraction = require(data, "extraction", dict, path)
        language = require(data, "language", dict, path)
        model = language.get("fasttext_model") or None
        if model is not None:
            if not isinstance(model, str):
                raise RuleFileError(f"{path}: 'language.fasttext_model' must be a path or empty")
            model_path = Path(model) if Path(model).is_absolute() else codelake_home() / model
            model = model_path if model_path.is_file() else None
        rules = cls(
            main_content=require(extraction, "main_content", bool, path),
            fallback_to_whole_page=require(extraction, "fallback_to_whole_page", bool, path),
            min_text_chars=require(extraction, "min_text_chars", int, path),
            language=LanguageRules(model, require(language, "sample_chars", int, path), require(language, "max_rank", int, path)),
            exact_order=SurvivorOrder.load(path, "exact_survivor_order", WEB_RANKABLE, WEB_UNIQUE_KEYS),
            near_duplicate_preset=require(data, "near_duplicate_preset", str, path),
            batch_rows=require(data, "batch_rows", int, path),
        )
        if rules.batch_rows <= 0 or rules.language.sample_chars <= 0:
            raise RuleFileError(f"{path}: 'batch_rows' and 'language.sample_chars' must be positive")
        return rules
