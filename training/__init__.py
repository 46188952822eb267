"""The training branch's engine: tokenizer, mixture, FIM, packing into datatrove `.ds` shards, Nanotron
configs and the training/generation entry points. Importable without Dagster."""
