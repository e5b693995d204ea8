"""An OpenFeature provider for Python apps: evaluates our flags locally, from a GrowthBook feature payload.

    from openfeature import api
    from missionos.experiments.openfeature import MissionOSProvider

    api.set_provider(MissionOSProvider.from_payload(payload))  # the JSON of /api/features/{client_key}
    api.get_client().get_boolean_value("guided-intake", False, EvaluationContext("resident-42"))

The provider needs no network once it has the payload; `refresh(payload)` swaps in a newer one.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from openfeature.evaluation_context import EvaluationContext
from openfeature.exception import ErrorCode
from openfeature.flag_evaluation import FlagResolutionDetails, Reason
from openfeature.provider import AbstractProvider, Metadata

from missionos.experiments.compiled import FeatureSet
from missionos.experiments.ofrep import REASONS
from missionos.experiments.payload import decrypt_payload

T = TypeVar("T")


class MissionOSProvider(AbstractProvider):
    """OpenFeature provider over a GrowthBook-format feature map."""

    def __init__(self, features: Mapping[str, Any] | None = None) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._features: FeatureSet = FeatureSet(dict(features or {}))

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], decryption_key: str | None = None) -> MissionOSProvider:
        provider = cls()
        provider.refresh(payload, decryption_key)
        return provider

    def refresh(self, payload: Mapping[str, Any], decryption_key: str | None = None) -> None:
        """Replace the feature map with that of a (possibly encrypted) SDK payload."""
        features = payload.get("features") or {}
        if payload.get("encryptedFeatures"):
            if not decryption_key:
                raise ValueError("the payload is encrypted: give its decryption key")
            plain = decrypt_payload(str(payload["encryptedFeatures"]), decryption_key)
            if plain is None:
                raise ValueError("the payload could not be decrypted with that key")
            features = json.loads(plain)
        compiled = FeatureSet(dict(features))  # compiled once, shared by every evaluation
        with self._lock:
            self._features = compiled

    def get_metadata(self) -> Metadata:
        return Metadata(name="Mission OS")

    def _resolve(
        self,
        flag_key: str,
        default_value: T,
        context: EvaluationContext | None,
        accepts: Callable[[Any], bool],
    ) -> FlagResolutionDetails[T]:
        with self._lock:
            features = self._features
        if flag_key not in features.features:
            return FlagResolutionDetails(
                default_value, ErrorCode.FLAG_NOT_FOUND, f"no flag named {flag_key!r}", Reason.ERROR
            )
        attributes: dict[str, Any] = dict(context.attributes) if context else {}
        if context and context.targeting_key and "id" not in attributes:
            attributes["id"] = context.targeting_key
        result = features.evaluate(attributes, flag_key)
        value = result["value"]
        if value is None:
            return FlagResolutionDetails(default_value, reason=Reason.DEFAULT)
        if not accepts(value):
            return FlagResolutionDetails(
                default_value,
                ErrorCode.TYPE_MISMATCH,
                f"flag {flag_key!r} is {type(value).__name__}",
                Reason.ERROR,
            )
        variant = None
        if result["source"] == "experiment":
            variant = str(result["experimentResult"]["key"])
        return FlagResolutionDetails(value, reason=REASONS.get(result["source"], "UNKNOWN"), variant=variant)

    def resolve_boolean_details(
        self, flag_key: str, default_value: bool, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[bool]:
        return self._resolve(flag_key, default_value, evaluation_context, lambda v: isinstance(v, bool))

    def resolve_string_details(
        self, flag_key: str, default_value: str, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[str]:
        return self._resolve(flag_key, default_value, evaluation_context, lambda v: isinstance(v, str))

    def resolve_integer_details(
        self, flag_key: str, default_value: int, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[int]:
        return self._resolve(
            flag_key,
            default_value,
            evaluation_context,
            lambda v: isinstance(v, int) and not isinstance(v, bool),
        )

    def resolve_float_details(
        self, flag_key: str, default_value: float, evaluation_context: EvaluationContext | None = None
    ) -> FlagResolutionDetails[float]:
        return self._resolve(
            flag_key,
            default_value,
            evaluation_context,
            lambda v: isinstance(v, int | float) and not isinstance(v, bool),
        )

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Any,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Any]:
        return self._resolve(
            flag_key, default_value, evaluation_context, lambda v: isinstance(v, dict | list)
        )
