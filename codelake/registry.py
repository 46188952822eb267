"""Every stage by name: the table it reads, how it runs, what a run may set.

`codelake run`, the Dagster assets, the lifecycle rebuild and the benches find a stage here, so a later
branch plugs in by registering its stages (`register`) instead of growing an if/elif in each of them.
Engines are imported when a stage runs, not when this table is read: the CLI starts fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from codelake.lake import Lake
from codelake.report import StageReport

if TYPE_CHECKING:
    from codelake.lake.sql import ConnectionFactory

# How a stage's `--input` is read: a crawl dump; any lake holding the upstream table; or the lake it writes
# (whole-lake stages keep state, e.g. signatures, in the lake they write).
InputKind = Literal["dump", "lake", "same_lake"]


@dataclass(frozen=True)
class StageOptions:
    """What one run may set. Each stage reads the fields its `Stage.options` names and ignores the rest."""

    input: str | None = None  # raw_files: the dump; exact_dedup: the lake holding raw_files (default: the output lake)
    preset: str | None = None  # fuzzy_dedup: a preset of rules/fuzzy_dedup.yaml
    workers: int = 2
    batch_rows: int | None = None  # rows per batch (bounds memory); None: the stage's default
    rules: str | None = None  # filtered: a rule file or folder; code_corpus: a mixture file
    seed: int = 0  # filtered: the probabilistic rules' draws
    upstream_version: int | None = None  # exact_dedup: read raw_files at this version
    progress: Callable[..., None] | None = None  # progress(files, nbytes=None)
    connections: ConnectionFactory | None = None  # the duckdb resource's settings (default: codelake.lake.sql's)
    extra: dict = field(default_factory=dict)  # settings of a later branch's stage, by name


@dataclass(frozen=True)
class Stage:
    name: str
    upstream: str | None  # the lake table it reads; None: a crawl dump
    run: Callable[[Lake, StageOptions], StageReport]
    input_kind: InputKind = "same_lake"
    options: tuple[str, ...] = ()  # the StageOptions fields it honours (the `codelake run` flags that matter)
    group: str = "code"


STAGES: dict[str, Stage] = {}


def register(stage: Stage) -> Stage:
    if stage.name in STAGES and STAGES[stage.name] != stage:
        raise ValueError(f"stage {stage.name!r} is registered twice")
    STAGES[stage.name] = stage
    return stage


def stage(name: str) -> Stage:
    try:
        return STAGES[name]
    except KeyError:
        raise ValueError(f"no stage named {name!r}; known stages: {', '.join(STAGES)}") from None


def chain(last: str) -> list[Stage]:
    """The stages from a dump to `last`, following each one's upstream: raw_files first."""
    stages = [stage(last)]
    while stages[0].upstream is not None:
        stages.insert(0, stage(stages[0].upstream))
    return stages


def _batch(options: StageOptions, default: int) -> int:
    return options.batch_rows if options.batch_rows is not None else default


def _raw_files(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.raw_files import run_raw_files

    if not o.input:
        raise ValueError("raw_files needs a dump to read (--input)")
    return run_raw_files(lake, o.input, progress=o.progress)


def _exact_dedup(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.exact_dedup import run_exact_dedup

    source = Lake(o.input) if o.input else None
    return run_exact_dedup(lake, upstream_version=o.upstream_version, source=source, connections=o.connections)


def _fuzzy_dedup(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.fuzzy_dedup import load_preset, run_fuzzy_dedup

    return run_fuzzy_dedup(lake, load_preset(o.preset), workers=o.workers, batch_docs=_batch(o, 1000), progress=o.progress,
                           connections=o.connections)


def _transformed(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.transformed import run_transformed

    return run_transformed(lake, workers=o.workers, batch_rows=_batch(o, 1000), progress=o.progress)


def _filter_signals(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.filtered.stage import run_filter_signals

    return run_filter_signals(lake, workers=o.workers, batch_rows=_batch(o, 1000), progress=o.progress)


def _filtered(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.filtered import load_rules
    from codelake.filtered.stage import run_filtered

    return run_filtered(lake, load_rules(o.rules), seed=o.seed)


def _code_corpus(lake: Lake, o: StageOptions) -> StageReport:
    from codelake.code_corpus import run_code_corpus
    from codelake.code_corpus.mixture import Mixture

    return run_code_corpus(lake, mixture=Mixture.load(o.rules) if o.rules else None)


register(Stage("raw_files", None, _raw_files, "dump", ("input", "progress")))
register(Stage("exact_dedup", "raw_files", _exact_dedup, "lake", ("input", "upstream_version", "connections")))
register(Stage("fuzzy_dedup", "exact_dedup", _fuzzy_dedup, "same_lake", ("preset", "workers", "batch_rows", "progress", "connections")))
register(Stage("transformed", "fuzzy_dedup", _transformed, "same_lake", ("workers", "batch_rows", "progress")))
register(Stage("filter_signals", "transformed", _filter_signals, "same_lake", ("workers", "batch_rows", "progress")))
register(Stage("filtered", "filter_signals", _filtered, "same_lake", ("rules", "seed")))
register(Stage("code_corpus", "filtered", _code_corpus, "same_lake", ("rules",)))

# The code branch from a dump to the pretraining corpus, in order.
CODE_CHAIN: list[str] = [s.name for s in chain("code_corpus")]
