"""The friction register: blockers and red tape that slow a value stream, priced by cost of delay.

Its public surface is `missionos.friction.service`; it reads flow figures through the flow context's service.
"""
