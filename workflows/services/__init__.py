"""Everything in ``workflows`` that writes."""
