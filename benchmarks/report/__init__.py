"""What a run's results file says: the notes, the targets (data) and their verdicts, the
markdown tables and the chart. Reads the document the orchestrator writes; measures nothing."""
