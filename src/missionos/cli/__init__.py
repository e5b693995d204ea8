"""The `missionos` command line: a thin shell over the contexts' service functions."""
