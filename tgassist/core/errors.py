"""The core's errors. Every message says what to do."""


class TgassistError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(TgassistError):
    """A setting is missing or wrong; the message names the setting."""


class BackendUnavailable(TgassistError):
    """A backend (database, Redis, …) cannot be reached; the message names the setting."""


class CryptoError(TgassistError):
    """Encryption keys are missing or do not decrypt the stored value."""
