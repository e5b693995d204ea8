"""Where the tests' own copies of public reference data live (see `tests/data/PROVENANCE.md`)."""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
OSCAL = DATA / "oscal"
OSCAL_SCHEMAS = OSCAL / "schemas-1.2.1"
OSCAL_EXAMPLES = OSCAL / "examples"
GROWTHBOOK_CASES = DATA / "growthbook" / "cases.json"
JIRA_REST = DATA / "jira-rest"
