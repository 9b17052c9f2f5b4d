"""Four eyes on adoption: a planner proposes a run, another person in finance decides on it."""
