"""Configuration from ``KERJASAMA_*`` environment variables, with local defaults.

Each service subclasses :class:`BaseServiceSettings` with its database URL and port::

    class AgreementsSettings(BaseServiceSettings):
        agreements_database_url: PostgresUrl = (
            "postgresql://postgres@127.0.0.1:5432/kerjasama_agreements"
        )
        http_port: Port = 8001

and loads it with :func:`load_settings`, which turns validation errors into a
:class:`~plumbing.errors.ConfigError` naming each bad variable.

A setting may also come from a file: when ``KERJASAMA_SECRETS_DIR`` names a directory, a
file there named like a variable (``KERJASAMA_AMQP_URL``) holds its value, surrounding
whitespace removed. That is how a container gets its passwords without putting them in its
environment (a compose volume, a Kubernetes Secret mounted as a volume, Docker secrets).
A variable set in the environment wins over its file.

Settings are data: what is built from them lives with what it builds, e.g.
:func:`plumbing.auth.authenticator_from` and
:func:`plumbing.agreements_client.agreements_token_from`.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from plumbing.errors import ConfigError
from plumbing.tokens import DEFAULT_MAX_TOKEN_LIFETIME_SECONDS
from plumbing.urls import redact, vhost_of

ENV_PREFIX = "KERJASAMA_"
SECRETS_DIR_ENV = ENV_PREFIX + "SECRETS_DIR"
"""The directory whose files named like variables hold settings (see the module doc)."""


def _scheme(*allowed: str) -> AfterValidator:
    def check(url: str) -> str:
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        if scheme not in allowed:
            schemes = " or ".join(a + "://" for a in allowed)
            raise ValueError(f"must be a URL starting with {schemes}")
        return url

    return AfterValidator(check)


AmqpUrl = Annotated[str, _scheme("amqp", "amqps")]
"""An ``amqp://`` or ``amqps://`` URL."""
HttpUrl = Annotated[str, _scheme("http", "https")]
"""An ``http://`` or ``https://`` URL."""
PostgresUrl = Annotated[str, _scheme("postgresql", "postgres")]
"""A ``postgresql://`` URL, as asyncpg takes it."""
Port = Annotated[int, Field(ge=1, le=65535)]
"""A TCP port number."""
LogLevel = Annotated[
    Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
    BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v),
]
"""A logging level name, case-insensitive."""
LogFormat = Annotated[
    Literal["text", "json"],
    BeforeValidator(lambda v: v.strip().lower() if isinstance(v, str) else v),
]
"""The shape of log lines (:mod:`plumbing.logs`), case-insensitive."""


class BaseServiceSettings(BaseSettings):
    """Settings every service shares; environment variables are ``KERJASAMA_<FIELD>``."""

    # populate_by_name: a field with its own variable name (validation_alias) is still set
    # by its field name in code (load_settings(cls, messaging=False)), not silently ignored.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True,
                                      populate_by_name=True)

    amqp_url: AmqpUrl = Field(
        "amqp://guest:guest@127.0.0.1:5672/",
        description="RabbitMQ AMQP URL; its path is the virtual host.",
    )
    rabbitmq_management_url: HttpUrl = Field(
        "http://guest:guest@127.0.0.1:15672",
        description="RabbitMQ management HTTP API, with credentials in the URL.",
    )
    http_host: str = Field("127.0.0.1", description="Interface the HTTP server listens on.")
    http_port: Port = Field(8000, description="Port of the HTTP server (each service overrides).")
    log_level: LogLevel = Field("INFO", description="Level of the service's own log lines "
                                "(INFO: start-up, leadership, background jobs). The "
                                "libraries' lines (HTTP clients, the HTTP server, the broker "
                                "clients) show at WARNING and above unless "
                                "KERJASAMA_VERBOSE is true.")
    log_format: LogFormat = Field("text", description="`text`: one line per record for "
                                  "people; `json`: one JSON object per line for log "
                                  "collectors (time in RFC 3339, level, service, logger, "
                                  "message, exception, and trace_id and span_id while a "
                                  "trace is current).")
    verbose: bool = Field(False, description="Also log the libraries' lines at "
                          "KERJASAMA_LOG_LEVEL: a line per request an HTTP client makes, the "
                          "HTTP server's and the broker clients' notes (`./scripts/run "
                          "--verbose` sets it, with KERJASAMA_ACCESS_LOG).")
    access_log: bool = Field(False, description="Log a line per HTTP request (uvicorn's access "
                             "log). Off by default: a line per request costs CPU under load "
                             "and floods the console; errors are logged either way.")
    environment: Literal["production", "development"] = Field(
        "production", description="`development` allows what only a developer's own machine "
        "may use (a development signing key, webhooks to local or plain-http addresses); "
        "`./scripts/run` declares it.")
    auth_jwks_file: Path | None = Field(None, description="JWKS file with the token issuer's "
                                        "public keys (production).")
    auth_dev_key_file: Path | None = Field(None, description="Shared secret file for "
                                           "development tokens (HS256); refused unless "
                                           "KERJASAMA_ENVIRONMENT=development.")
    auth_issuer: str = Field("kerjasama", min_length=1, description="Required `iss` of tokens.")
    auth_audience: str = Field("kerjasama", min_length=1,
                               description="Required `aud` of tokens.")
    auth_max_token_lifetime_seconds: int = Field(
        DEFAULT_MAX_TOKEN_LIFETIME_SECONDS, ge=60, le=30 * 86400,
        description="Longest lifetime of a token the service accepts (`exp` minus `iat`, "
        "or minus now without `iat`); longer-lived tokens are refused.")

    @property
    def development(self) -> bool:
        """Whether development is declared (``KERJASAMA_ENVIRONMENT=development``)."""
        return self.environment == "development"

    @property
    def amqp_vhost(self) -> str:
        """The RabbitMQ virtual host named by :attr:`amqp_url` (``/`` when none)."""
        return vhost_of(self.amqp_url)


class ConsumerSettings(BaseServiceSettings):
    """Settings of a service that consumes agreement events (reporting, notifications)."""

    agreements_url: HttpUrl = Field(
        "http://127.0.0.1:8001",
        description="Base URL of the agreements service, read to fill gaps and to rebuild.")
    agreements_signing_key_file: Path | None = Field(
        None, description="Private key (JWK or PEM: Ed25519, RSA or EC P-256) with which this "
        "service signs the short-lived tokens it presents to the agreements service; its "
        "public key must be in the agreements service's JWKS.")
    agreements_token_file: Path | None = Field(
        None, description="File holding the bearer token this service presents to the "
        "agreements service, kept fresh by someone else (read again when it changes).")
    prefetch: int = Field(32, ge=1, le=1000, description="Unacknowledged messages a consumer "
                          "takes from its queue at once.")
    transient_retry_seconds: float = Field(
        300.0, gt=0, le=86400, description="How long a consumer retries a message on "
        "transient errors (database or agreements service down) before requeueing it.")


S = TypeVar("S", bound=BaseSettings)


def env_name(cls: type[BaseSettings], field: str) -> str:
    """The environment variable that sets ``field`` of the settings class ``cls``."""
    info = cls.model_fields.get(field)
    if info is not None and isinstance(info.validation_alias, str):
        return info.validation_alias.upper()
    prefix = str(cls.model_config.get("env_prefix") or "")
    if info is None and field.upper().startswith(prefix.upper()):
        return field.upper()  # already an environment name (a field's alias)
    return (prefix + field).upper()


def _describe(cls: type[BaseSettings], error: Any) -> str:
    loc = [str(part) for part in error["loc"]]
    name = env_name(cls, loc[0]) if loc else "(settings)"
    where = name + "".join(f"[{part}]" for part in loc[1:])
    if error["type"] == "missing":
        return f"{where}: required but not set"
    message = str(error["msg"]).removeprefix("Value error, ")
    value = error.get("input")
    if isinstance(value, str):
        return f"{where}: {message} (got {redact(value)!r})"
    return f"{where}: {message}"


def secrets_dir() -> Path | None:
    """The directory ``KERJASAMA_SECRETS_DIR`` names (None when unset); ConfigError when it
    is not a directory this process can read."""
    value = os.environ.get(SECRETS_DIR_ENV, "").strip()
    if not value:
        return None
    path = Path(value)
    try:
        next(path.iterdir(), None)
    except OSError as exc:
        reason = "not a directory" if isinstance(exc, NotADirectoryError) else exc.strerror
        raise ConfigError(f"{SECRETS_DIR_ENV}: cannot read the directory {value}: "
                          f"{reason}") from None
    return path


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Build ``cls`` from the environment, the files of ``KERJASAMA_SECRETS_DIR`` and
    ``overrides``, or raise ConfigError.

    The error message has one line per invalid variable, e.g.
    ``KERJASAMA_HTTP_PORT: Input should be a valid integer ... (got 'abc')``.
    """
    directory = secrets_dir()
    try:
        return cls(**overrides, _secrets_dir=directory)
    except ValidationError as exc:
        lines = [_describe(cls, error) for error in exc.errors()]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(lines)) from None
    except SettingsError as exc:  # a complex value (a list, a mapping) that is not JSON
        found = re.search(r'field "([^"]+)"', str(exc))
        name = env_name(cls, found.group(1)) if found else "a setting"
        raise ConfigError(f"invalid configuration:\n  {name}: expected JSON "
                          f"({exc.__cause__ or exc})") from None
    except OSError as exc:  # a file of the secrets directory that cannot be read
        if directory is None:
            raise
        raise ConfigError(f"{SECRETS_DIR_ENV}: cannot read {exc.filename}: "
                          f"{exc.strerror}") from None
