"""Where the tests' own copies of public reference data live (see `tests/data/PROVENANCE.md`)."""

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
OSCAL = DATA / "oscal"
OSCAL_SCHEMAS = OSCAL / "schemas-1.2.1"
OSCAL_EXAMPLES = OSCAL / "examples"
GROWTHBOOK_CASES = DATA / "growthbook" / "cases.json"
JIRA_REST = DATA / "jira-rest"
FLOW_GITHUB = DATA / "flow-github"
GITHUB_ANTS_ISSUES = FLOW_GITHUB / "ants-issues.json"
DELIVERY = DATA / "delivery"
FLASK_COMMITS = DELIVERY / "flask-commits-0.12.2-to-1.0.4.jsonl.gz"
FLASK_RELEASES = DELIVERY / "flask-releases-0.12.3-to-1.0.4.jsonl"
OFREP_OPENAPI = DATA / "ofrep" / "openapi.yaml"
DEVLAKE = DATA / "devlake"
