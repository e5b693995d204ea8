"""The `delivery` bounded context: services, repositories, deployments, incidents and DORA metrics.

Its public surface is `missionos.delivery.service`.
"""
