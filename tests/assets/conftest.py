from lakefactory import small_lake  # noqa: F401  (fixture of the training-asset tests)
