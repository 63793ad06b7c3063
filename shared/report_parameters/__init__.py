"""Report parameters: declarations, `{{ name }}` placeholders, typed values and date macros.

A contract between the api (which checks a report and a run's values) and the runner (which
resolves the values at claim and runs the rewritten SQL); pure code, no I/O.
"""
