"""The `experiments` bounded context (see DESIGN.md); its public surface is `service`."""
