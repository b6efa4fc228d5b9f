"""Clever district tokens are stored encrypted (Fernet, TOKEN_ENCRYPTION_KEY)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken

from rostersync.errors import AppError


class TokenDecryptionError(AppError):
    status_code = 500

    def __init__(self) -> None:
        super().__init__(
            "The district's Clever token cannot be decrypted: TOKEN_ENCRYPTION_KEY changed "
            "since it was stored. Restore the key, or reconnect the district."
        )


class TokenCipher:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    def encrypt(self, token: str) -> bytes:
        return self._fernet.encrypt(token.encode())

    def decrypt(self, encrypted: bytes) -> str:
        try:
            return self._fernet.decrypt(encrypted).decode()
        except InvalidToken as exc:
            raise TokenDecryptionError from exc
