"""Verified platform capabilities: what a platform advertises, what teams need, and which offers a real
production deployment has used.

Its public surface is `missionos.platform.service`. It reads deployments through the delivery context's
service and SBOM purls and evidence kinds through the compliance context's service.
"""
