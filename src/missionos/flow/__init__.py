"""The `flow` bounded context (see DESIGN.md). Its public surface is `missionos.flow.service`."""
