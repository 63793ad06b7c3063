"""`reportflow`: the command line of ReportFlow, a client of its HTTP API and nothing else."""
