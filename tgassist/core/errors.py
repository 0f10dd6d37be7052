"""The core's errors. Every message says what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tgassist.core.i18n import Msg


class TgassistError(Exception):
    """Base of every error this project raises on purpose."""


class LocalizedError(TgassistError):
    """An error a user sees: a message key and its parameters, rendered by the door in the
    user's language (`err.render(lang)`); `str(err)` is the English text (logs, tracebacks)."""

    def __init__(self, key: str, /, **params: object) -> None:
        self.key = key
        self.params: dict[str, object] = dict(params)
        super().__init__(key)

    def render(self, lang: str | None = None) -> str:
        from tgassist.core.i18n import t

        return t(self.key, lang, **self.params)

    @property
    def msg(self) -> Msg:
        from tgassist.core.i18n import Msg

        return Msg(self.key, dict(self.params))

    def __str__(self) -> str:
        return self.render("en")

    def __reduce__(self) -> tuple[object, ...]:
        # pickled (a process pool, a pipe) with its params and subclass attributes, whatever the
        # subclass's __init__ takes: Exception's default would call cls(key) and drop them
        return (_restore, (type(self), self.args, self.__dict__.copy()))


def _restore(
    cls: type[LocalizedError], args: tuple[object, ...], state: dict[str, object]
) -> LocalizedError:
    err = cls.__new__(cls)
    err.args = args
    err.__dict__.update(state)
    return err


class ConfigError(LocalizedError):
    """A setting is missing or wrong: a `core.config.*` key (or the product's) naming the
    setting and what to set it to."""


class BackendUnavailable(LocalizedError):
    """A backend (database, Redis, …) cannot be reached: a `core.backend.*` key (or the
    product's) naming the setting."""


class CryptoError(LocalizedError):
    """Encryption keys are missing or do not decrypt the stored value (a `security.secrets.*`
    key naming TGASSIST_SECRET_KEYS and what to do)."""
