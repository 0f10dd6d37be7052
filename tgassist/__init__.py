"""tgassist: a self-hosted Telegram assistant (channels, events, campaigns) on one small core."""

__version__ = "0.1.0"
