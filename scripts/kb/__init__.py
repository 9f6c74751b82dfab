"""The knowledge-base engine: YAML claims and BibTeX in, a cross-linked MkDocs site out."""
