"""The `compliance` bounded context (see DESIGN.md). Its public surface is `missionos.compliance.service`."""
