"""populatie: population-based youth-care budgets for the H10 region (Haaglanden)."""

__version__ = "0.1.0"
