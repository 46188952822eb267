"""RefineCode heuristic filters: signals once per file (signals.py), rules as data (rules/filters/*.yaml,
rules.py), decisions as a pure step over the two (decide.py); reference.py is the per-file Python twin."""

from codelake.filtered.decide import decide, hits, per_rule_stats
from codelake.filtered.rules import Rule, RuleError, RuleSet, load_rules
from codelake.filtered.signals import compute_signals
from codelake.polars_threads import prepare_polars_for_threads

__all__ = ["Rule", "RuleError", "RuleSet", "compute_signals", "decide", "hits", "load_rules", "per_rule_stats"]

prepare_polars_for_threads()  # callers run compute_signals on threads (filter_signals does): Polars' first uses once, here
