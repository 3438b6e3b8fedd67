"""The base every other part stands on, knowing nothing of tasks or models: the one error type (`errors`), the
version, name registries with did-you-mean (`registry`), strict YAML (`yaml_loader`), limits on sizes
(`limits`), the torch thread count of CPU runs (`threads`), every use of another package's internals
(`upstream`), and output folders with atomic writes (`files`)."""
