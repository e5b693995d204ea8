"""The strategy pages and API (/api/v1/strategy). The home page becomes the one-page plan."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
