from lakefactory import make_mixture, small_lake, trained_tokenizer  # noqa: F401  (fixtures)
