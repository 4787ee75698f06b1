"""Code generated from the protos (``make generate``): never edited by hand."""
