"""`python -m missionos.cli`."""

from missionos.cli.main import main

main()
