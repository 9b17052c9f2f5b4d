"""What the planner's pages show: the scenario form, runs side by side with the waterfall of
each area's change, and estimated rates with the budget ranges they imply.

View-models only, built from the planning and allocation services; the templates lay them
out. Amounts leave here formatted the Dutch way; every chart has its figures in a table too.
"""

from populatie.planning.pages.common import (
    INDICATOR_LABELS,
    MAX_RUNS,
    Message,
    Option,
    explained,
    run_labels,
)
from populatie.planning.pages.estimate import EstimatePage, estimate_page
from populatie.planning.pages.runs import RunsPage, runs_page
from populatie.planning.pages.scenario import ScenarioPage, default_year, scenario_page

__all__ = [
    "INDICATOR_LABELS",
    "MAX_RUNS",
    "EstimatePage",
    "Message",
    "Option",
    "RunsPage",
    "ScenarioPage",
    "default_year",
    "estimate_page",
    "explained",
    "run_labels",
    "runs_page",
    "scenario_page",
]
