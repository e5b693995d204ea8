"""The GrowthBook SDK payload: building it from stored flags, and its optional AES-CBC encryption."""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def decrypt_payload(encrypted: str, key: str) -> str | None:
    """Decrypt GrowthBook's `"<iv base64>.<ciphertext base64>"` with a base64 AES key (None if it can't)."""
    if "." not in encrypted:
        return None
    iv_text, body_text = encrypted.split(".", 1)
    try:
        raw_key = base64.b64decode(key, validate=True)
        iv = base64.b64decode(iv_text, validate=True)
        body = base64.b64decode(body_text, validate=True)
        decryptor = Cipher(algorithms.AES(raw_key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(body) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def encrypt_payload(plain: str, key: str, *, iv: bytes | None = None) -> str:
    """Encrypt `plain` the way GrowthBook SDKs expect (AES-CBC, PKCS#7, base64 iv and body joined by '.')."""
    raw_key = base64.b64decode(key)
    iv = iv or os.urandom(16)
    padder = padding.PKCS7(128).padder()
    data = padder.update(plain.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(raw_key), modes.CBC(iv)).encryptor()
    body = encryptor.update(data) + encryptor.finalize()
    return f"{base64.b64encode(iv).decode()}.{base64.b64encode(body).decode()}"
