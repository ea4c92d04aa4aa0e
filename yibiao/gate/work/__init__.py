"""The work kinds of demand: tasks and inspections, their effort, dates and proof demanded."""
