"""algorithmic_corpus: the files of code_corpus that algorithmic signals select (rules/annealing/algorithmic.yaml).

Each selected file keeps its row with the rules that fired and its score; every other file is a lineage
drop `not_algorithmic` whose detail (JSON) gives its score, the threshold and the rules it matched, so
the per-rule counts of a version can be recomputed in SQL from the table and the lineage.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from codelake.algorithmic_corpus.rules import AlgorithmicRules
from codelake.algorithmic_corpus.signals import fired_rules, scores
from codelake.lake import Lake, LineageSpool
from codelake.languages import LanguageTable
from codelake.report import StageReport

STAGE = "algorithmic_corpus"
ADDED_FIELDS = [pa.field("algorithmic_rules", pa.list_(pa.string())), pa.field("algorithmic_score", pa.float64())]
SAMPLES_PER_RULE = 3


def run_algorithmic_corpus(
    lake: Lake,
    rules: AlgorithmicRules | None = None,
    upstream: str = "code_corpus",
    languages: LanguageTable | None = None,
    upstream_version: int | None = None,
    batch_rows: int = 2000,
) -> StageReport:
    rules = rules or AlgorithmicRules.load()
    languages = languages or LanguageTable.load()
    if not lake.exists(upstream):
        raise FileNotFoundError(f"{lake.table_path(upstream)}: no {upstream} table yet")
    source = lake.dataset(upstream, upstream_version)
    schema = pa.schema([*source.schema, *ADDED_FIELDS])
    report = StageReport(STAGE)
    lineage = LineageSpool(STAGE)
    matched, selected_with = Counter(), Counter()
    samples: dict[str, list[str]] = {r.name: [] for r in rules.rules}
    type_of: dict[str, str | None] = {}

    def is_candidate(language: str) -> bool:
        if language not in type_of:
            entry = languages.get(language)
            type_of[language] = entry.type if entry else None
        return type_of[language] in rules.language_types

    def selected() -> Iterator[pa.RecordBatch]:
        for batch in source.to_batches(batch_size=batch_rows):
            n = batch.num_rows
            if not n:
                continue
            langs = batch.column("language").to_pylist()
            candidates = np.array([is_candidate(lang) for lang in langs], dtype=bool)
            fired = fired_rules(batch.column("text"), langs, candidates, rules)
            score = scores(fired, rules, n)
            keep = score >= rules.select_at
            names = [[r.name for r in rules.rules if fired[r.name][i]] for i in range(n)]
            ids, sizes = batch.column("doc_id").to_pylist(), batch.column("size").to_pylist()
            dumps, repos, paths = (batch.column(c).to_pylist() for c in ("dump", "repo", "path"))
            for i in range(n):
                for name in names[i]:
                    matched[name] += 1
                    if keep[i]:
                        selected_with[name] += 1
                        if len(samples[name]) < SAMPLES_PER_RULE:
                            samples[name].append(f"{repos[i]}/{paths[i]}")
                if keep[i]:
                    report.kept(langs[i], sizes[i])
                    continue
                if candidates[i]:
                    detail = {"score": float(score[i]), "select_at": rules.select_at, "rules": names[i]}
                else:
                    detail = {"language": langs[i], "type": type_of[langs[i]], "not_in": sorted(rules.language_types)}
                lineage.record(ids[i], "drop", "not_algorithmic", json.dumps(detail), dumps[i], repos[i], paths[i])
                report.dropped("not_algorithmic", sizes[i])
            kept = batch.filter(pa.array(keep))
            yield pa.RecordBatch.from_arrays(
                [*kept.columns, pa.array([names[i] for i in np.flatnonzero(keep)], pa.list_(pa.string())), pa.array(score[keep], pa.float64())],
                schema=schema,
            )

    try:
        report.version, report.lineage_version = lineage.commit_with_table(lake, selected(), schema)
    finally:
        lineage.discard()
    report.tables["rules"] = [
        {
            "rule": r.name, "weight": r.weight, "min_matches": r.min_matches, "files_matched": matched[r.name],
            "files_selected": selected_with[r.name], "samples": ", ".join(samples[r.name]) or "—",
        }
        for r in rules.rules
    ]
    return report
