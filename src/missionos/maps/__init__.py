"""Strategic maps: Wardley maps (OWM text) and domain maps (bounded contexts), versioned beside the plans.

Its public surface is `missionos.maps.service`.
"""
