"""The checks: one module per check; file name = the check id in snake_case."""
