"""Research exports: a ZIP of CSVs with a data dictionary, identified or with keyed-hash pseudonyms."""
