"""Settings of the web app and API, from environment variables, checked before the server starts.

One typed object, read once (``Settings.from_env()``), so that an unsafe combination is refused
with a clear message instead of being discovered in production: serving on an address other
than loopback needs a configured secret, and cross-origin requests are allowed only from the
origins named in ``CALCINOSIS_CORS_ORIGINS``.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from calcinosis.errors import CalcinosisError

__all__ = ["LOOPBACK_HOSTS", "Settings", "SettingsError", "host_name", "is_loopback"]

_MIB = 1024 * 1024

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "testserver")
"""The Host names the app answers to without being told: this machine's, and ``testserver``, the
name Starlette's in-process test client sends (a single-label name no public DNS gives out, so a
page elsewhere cannot be made to reach this server under it)."""

_HOST_NAME = re.compile(r"^(\*\.)?[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)*\Z")


def host_name(header: str) -> str:
    """The host of a ``Host`` header, lower-case, without its port or a final dot
    (``[::1]:8000`` -> ``[::1]``, ``Localhost.:80`` -> ``localhost``)."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[: end + 1] if end > 0 else value
    return value.rsplit(":", 1)[0].rstrip(".") if ":" in value else value.rstrip(".")


def _allowed_host(entry: str) -> str | None:
    """``entry`` of CALCINOSIS_ALLOWED_HOSTS as it is matched (an IPv6 address in brackets),
    or None when it is no host name, IP address or ``*.domain``."""
    value = entry.strip().lower()
    bare = value.removeprefix("[").removesuffix("]")
    try:
        address = ipaddress.ip_address(bare)
    except ValueError:
        return value.rstrip(".") if _HOST_NAME.match(value.rstrip(".")) else None
    return f"[{address}]" if address.version == 6 else str(address)


class SettingsError(CalcinosisError):
    """The environment asks for an unsafe or malformed configuration."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _base_url(url: str) -> bool:
    """Whether ``url`` is an http(s) address with a host and nothing a link could be bent with: no
    user part, query, fragment, backslash, space or control character."""
    from urllib.parse import urlsplit

    if any(c in url for c in "\\ ") or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return False
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises on a malformed port
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and not parts.query
        and not parts.fragment
    )


class Settings(BaseModel):
    """What the server needs to know; defaults are the safe ones (loopback, no CORS)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=1, le=65535)
    workers: int = Field(1, ge=1, le=64)
    # A shared secret the deployment sets when it serves beyond loopback (behind its own
    # authentication proxy); its presence is the operator saying "I have thought about access".
    secret: str | None = Field(None, min_length=16)
    cors_origins: tuple[str, ...] = ()
    # 1 MiB, as for case files on disk (case/document.py LIMITS["file_bytes"])
    max_body_bytes: int = Field(_MIB, ge=1024, le=64 * _MIB)
    # an uploaded study: a NIfTI file or a zip of a DICOM series
    max_upload_bytes: int = Field(256 * _MIB, ge=_MIB, le=4096 * _MIB)
    kb_path: str | None = None
    # the registry (default: the SQLite file in the user's data folder, migrated at start)
    database_url: str | None = None
    # signs the session cookies of the registry pages; random per process when not set (sessions
    # then end when the server stops), which is fine on loopback with one worker
    session_secret: str | None = Field(None, min_length=16)
    # served behind HTTPS (a proxy): session cookies are then marked Secure
    https: bool = False
    # the proxies whose X-Forwarded-For and X-Forwarded-Proto are believed (uvicorn's
    # forwarded_allow_ips). None by default: uvicorn believed them from 127.0.0.1, so any local
    # process could rotate X-Forwarded-For and escape the per-address sign-in limit (a hostile
    # review)
    trusted_proxies: tuple[str, ...] = ()
    # the address clients reach the app at (https://calcinosis.hospital.example), for the links
    # the app sends out (CDS Hooks cards): without it they are built from the request's Host
    # header, which whoever sends the request chooses; required beyond loopback
    public_url: str | None = None
    # the Host names the app answers to besides loopback's, the address it is bound to and the
    # public URL's host: a request naming another gets 400 (DNS rebinding: a page elsewhere
    # whose name is made to resolve to this machine reaches the app under that name)
    allowed_hosts: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _safe(self) -> Settings:
        if not is_loopback(self.host) and not self.secret:
            raise ValueError(
                f"serving on {self.host!r} (not loopback) needs CALCINOSIS_SECRET (16 characters or more): "
                "the app has no accounts of its own, so put it behind an authenticating proxy and set the secret "
                "to say so; or serve on 127.0.0.1"
            )
        for proxy in self.trusted_proxies:
            try:
                ipaddress.ip_network(proxy, strict=False)
            except ValueError:
                raise ValueError(
                    f"CALCINOSIS_TRUSTED_PROXIES: {proxy!r} is not an IP address or network (e.g. 10.0.0.5 or 10.0.0.0/24)"
                ) from None
        if self.public_url is not None and not _base_url(self.public_url):
            raise ValueError(
                f"CALCINOSIS_PUBLIC_URL: {self.public_url!r} is not a base URL like https://host[:port][/path]"
            )
        if not is_loopback(self.host) and self.public_url is None:
            raise ValueError(
                f"serving on {self.host!r} (not loopback) needs CALCINOSIS_PUBLIC_URL, the address clients reach "
                "the app at: the links it sends out are not built from a Host header a client chooses"
            )
        for entry in self.allowed_hosts:
            if entry.strip() == "*" or _allowed_host(entry) is None:
                raise ValueError(
                    f"CALCINOSIS_ALLOWED_HOSTS: {entry[:80]!r} is not a host name, an IP address or *.domain "
                    "(calcinosis.hospital.example, 10.0.0.5, [fd00::5], *.hospital.example; '*' is refused)"
                )
        for origin in self.cors_origins:
            if origin == "*" or not origin.startswith(("http://", "https://")):
                raise ValueError(
                    f"CALCINOSIS_CORS_ORIGINS: {origin!r} is not an origin like https://host:port ('*' is refused)"
                )
        return self

    def trusted_hosts(self) -> tuple[str, ...]:
        """Every Host name the app answers to: loopback's, the address it is bound to (not a
        wildcard such as 0.0.0.0), the public URL's host, and CALCINOSIS_ALLOWED_HOSTS."""
        from urllib.parse import urlsplit

        hosts = list(LOOPBACK_HOSTS)
        bound = _allowed_host(self.host)
        if bound is not None and bound not in ("0.0.0.0", "[::]"):
            hosts.append(bound)
        if self.public_url is not None and (public := _allowed_host(urlsplit(self.public_url).hostname or "")):
            hosts.append(public)
        hosts += [h for h in map(_allowed_host, self.allowed_hosts) if h is not None]
        return tuple(dict.fromkeys(hosts))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Read ``CALCINOSIS_*`` variables (``env`` defaults to the process environment); ``overrides``
        (the CLI's options) win over them."""
        env = os.environ if env is None else env
        names = {
            "host": "CALCINOSIS_HOST",
            "port": "CALCINOSIS_PORT",
            "workers": "CALCINOSIS_WORKERS",
            "secret": "CALCINOSIS_SECRET",
            "max_body_bytes": "CALCINOSIS_MAX_BODY_BYTES",
            "max_upload_bytes": "CALCINOSIS_MAX_UPLOAD_BYTES",
            "kb_path": "CALCINOSIS_KB",
            "database_url": "CALCINOSIS_DATABASE_URL",
            "session_secret": "CALCINOSIS_SESSION_SECRET",
            "https": "CALCINOSIS_HTTPS",
            "public_url": "CALCINOSIS_PUBLIC_URL",
        }
        values: dict[str, object] = {key: env[var] for key, var in names.items() if env.get(var)}
        for key, var in (
            ("cors_origins", "CALCINOSIS_CORS_ORIGINS"),
            ("trusted_proxies", "CALCINOSIS_TRUSTED_PROXIES"),
            ("allowed_hosts", "CALCINOSIS_ALLOWED_HOSTS"),
        ):
            if env.get(var):
                values[key] = tuple(o.strip() for o in env[var].split(",") if o.strip())
        values.update({k: v for k, v in overrides.items() if v is not None})
        try:
            return cls.model_validate(values)
        except ValidationError as exc:
            lines = []
            for err in exc.errors():
                where = ".".join(str(p) for p in err["loc"])
                var = (
                    names.get(where.split(".")[0], "CALCINOSIS_" + where.split(".")[0].upper()) if where else "settings"
                )
                lines.append(f"  - {var}: {err['msg'].removeprefix('Value error, ')}")
            raise SettingsError("the server settings are not usable:\n" + "\n".join(lines)) from None
