"""The develop pipeline: the recipe (every parameter), the run (the order of the steps)."""
