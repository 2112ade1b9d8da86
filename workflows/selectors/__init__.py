"""Everything in ``workflows`` that reads."""
