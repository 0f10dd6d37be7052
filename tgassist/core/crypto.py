"""Secrets at rest: Fernet with MultiFernet rotation (newest key first)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from tgassist.core.errors import CryptoError


class SecretBox:
    """Encrypts Telegram sessions and user API tokens with TGASSIST_SECRET_KEYS."""

    def __init__(self, keys: str | None) -> None:
        self._keys = [k.strip() for k in (keys or "").split(",") if k.strip()]
        self._fernet: MultiFernet | None = None
        if self._keys:
            try:
                self._fernet = MultiFernet([Fernet(k.encode()) for k in self._keys])
            except ValueError as err:
                raise CryptoError("security.secrets.invalid_key") from err

    @property
    def configured(self) -> bool:
        return self._fernet is not None

    def _need(self) -> MultiFernet:
        if self._fernet is None:
            raise CryptoError("security.secrets.not_set")
        return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self._need().encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._need().decrypt(token.encode()).decode()
        except InvalidToken as err:
            raise CryptoError("security.secrets.undecryptable") from err

    def rotate(self, token: str) -> str:
        """Re-encrypt with the newest key."""
        try:
            return self._need().rotate(token.encode()).decode()
        except InvalidToken as err:
            raise CryptoError("security.secrets.undecryptable") from err

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode()
