"""Report templates (subject, body, file name): a sandboxed engine, bounded in time and size,
the variables of one run, and the one-line subject and safe file name made of their output.

Pure code shared by the api (checks at save, previews), the runner (file names) and the
notifier (subjects and bodies); only `engine.py` imports jinja2 (`lint-imports`).
"""
