"""The `strategy` bounded context (see DESIGN.md). Its public surface is `missionos.strategy.service`."""
