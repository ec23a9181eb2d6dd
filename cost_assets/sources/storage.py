"""The sources root: a local folder or an `s3://bucket/prefix` URL, seen as a flat key space.

Keys are always relative to the root and use `/` separators, so the readers never care where
the root lives. Object versions (S3 ETag, or a local file's mtime in nanoseconds) let the assets
record exactly which bytes they read.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cost_assets.errors import InputError

# Throttling (SlowDown, 503) and 5xx answers are retried with backoff; adaptive mode also
# rate-limits the client when S3 throttles it.
S3_RETRIES = {"mode": "adaptive", "max_attempts": 8}


@dataclass(frozen=True)
class ObjectInfo:
    """One object under the root: its key, its size in bytes and its version tag."""

    key: str
    size: int
    version: str


def _clean_prefix(prefix: str) -> str:
    """A folder prefix: no leading slash, one trailing slash, '' for the root itself."""
    prefix = prefix.strip("/")
    return f"{prefix}/" if prefix else ""


class SourceStore(ABC):
    """Read-only access to the objects under one sources root."""

    root: str

    @abstractmethod
    def list(self, prefix: str = "") -> list[ObjectInfo]:
        """Every object under the folder `prefix`, recursively, sorted by key."""

    @abstractmethod
    def folders(self, prefix: str = "") -> list[str]:
        """Names of the immediate sub-folders of the folder `prefix`, sorted."""

    @abstractmethod
    def read_bytes(self, key: str) -> bytes:
        """The content of one object; InputError when it does not exist."""

    @abstractmethod
    def info(self, key: str) -> ObjectInfo | None:
        """Size and version of one object, or None when it does not exist."""

    @abstractmethod
    def uri(self, key: str = "") -> str:
        """The full path or `s3://` URL of a key, for messages and metadata."""

    def exists(self, key: str) -> bool:
        """Whether the object exists."""
        return self.info(key) is not None


class LocalStore(SourceStore):
    """A sources root on the local file system."""

    def __init__(self, root: str | Path) -> None:
        path = Path(root).expanduser()
        if not path.is_dir():
            raise InputError(f"sources root {path} does not exist or is not a folder")
        self.path = path.resolve()
        self.root = str(self.path)

    def _path(self, key: str) -> Path:
        return self.path / key.strip("/")

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        base = self._path(_clean_prefix(prefix))
        if not base.is_dir():
            return []
        found = []
        for path in base.rglob("*"):
            if path.is_file():
                stat = path.stat()
                key = path.relative_to(self.path).as_posix()
                found.append(ObjectInfo(key, stat.st_size, str(stat.st_mtime_ns)))
        return sorted(found, key=lambda o: o.key)

    def folders(self, prefix: str = "") -> list[str]:
        base = self._path(_clean_prefix(prefix))
        if not base.is_dir():
            return []
        return sorted(p.name for p in base.iterdir() if p.is_dir())

    def read_bytes(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            raise InputError("file not found", file=str(path)) from None
        except OSError as exc:
            raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from None

    def info(self, key: str) -> ObjectInfo | None:
        path = self._path(key)
        if not path.is_file():
            return None
        stat = path.stat()
        return ObjectInfo(key.strip("/"), stat.st_size, str(stat.st_mtime_ns))

    def uri(self, key: str = "") -> str:
        return str(self._path(key)) if key else self.root


def _s3_problem(exc: Exception) -> str:
    """A short, credential-free description of a botocore failure."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code", "unknown")
        return f"S3 answered {code}"
    # Connection and credential errors: the class name says what happened, and their
    # messages hold endpoints and profile names only, never secrets; keep just the name.
    return f"S3 request failed ({type(exc).__name__})"


class S3Store(SourceStore):
    """A sources root under `s3://bucket/prefix`."""

    def __init__(self, root: str, client: Any) -> None:
        bucket, _, prefix = root.removeprefix("s3://").partition("/")
        if not bucket:
            raise InputError(f"sources root {root!r} names no bucket")
        self.bucket = bucket
        self.prefix = _clean_prefix(prefix)
        self.root = f"s3://{bucket}/{self.prefix}".rstrip("/")
        self.client = client

    def _call(self, what: str, method: str, **kwargs: Any) -> Any:
        """Call the client; any failure becomes an InputError naming the root."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return getattr(self.client, method)(Bucket=self.bucket, **kwargs)
        except (ClientError, BotoCoreError) as exc:
            raise InputError(
                f"cannot {what} under sources root {self.root}: {_s3_problem(exc)}"
            ) from None

    def check(self) -> None:
        """Fail early, with a clear message, when the root is unreachable or empty."""
        page = self._call("list objects", "list_objects_v2", Prefix=self.prefix, MaxKeys=1)
        if not page.get("KeyCount"):
            raise InputError(f"sources root {self.root} holds no objects (wrong prefix?)")

    def _paginate(self, prefix: str, **kwargs: Any):
        token: str | None = None
        while True:
            extra = {"ContinuationToken": token} if token else {}
            page = self._call("list objects", "list_objects_v2", Prefix=prefix, **kwargs, **extra)
            yield page
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    def list(self, prefix: str = "") -> list[ObjectInfo]:
        full = self.prefix + _clean_prefix(prefix)
        found = []
        for page in self._paginate(full):
            for obj in page.get("Contents", []):
                if obj["Key"].endswith("/"):
                    continue  # folder marker written by some tools
                key = obj["Key"][len(self.prefix) :]
                found.append(ObjectInfo(key, int(obj["Size"]), obj["ETag"].strip('"')))
        return sorted(found, key=lambda o: o.key)

    def folders(self, prefix: str = "") -> list[str]:
        full = self.prefix + _clean_prefix(prefix)
        names = []
        for page in self._paginate(full, Delimiter="/"):
            for common in page.get("CommonPrefixes", []):
                names.append(common["Prefix"][len(full) :].rstrip("/"))
        return sorted(names)

    def read_bytes(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.prefix + key)["Body"]
            return body.read()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("NoSuchKey", "404"):
                raise InputError("file not found", file=self.uri(key)) from None
            raise InputError(f"cannot read: {_s3_problem(exc)}", file=self.uri(key)) from None
        except BotoCoreError as exc:
            raise InputError(f"cannot read: {_s3_problem(exc)}", file=self.uri(key)) from None

    def info(self, key: str) -> ObjectInfo | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            head = self.client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404", "NotFound"):
                return None
            raise InputError(f"cannot stat: {_s3_problem(exc)}", file=self.uri(key)) from None
        except BotoCoreError as exc:
            raise InputError(f"cannot stat: {_s3_problem(exc)}", file=self.uri(key)) from None
        return ObjectInfo(key, int(head["ContentLength"]), head["ETag"].strip('"'))

    def uri(self, key: str = "") -> str:
        return f"s3://{self.bucket}/{self.prefix}{key}" if key else self.root


def s3_client_from_environment() -> Any:
    """A boto3 S3 client configured from the standard AWS variables.

    botocore itself honours AWS_PROFILE, the credential variables, AWS_DEFAULT_REGION and
    AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL; AWS_REGION is passed explicitly because botocore
    does not read it.
    """
    import boto3
    from botocore.config import Config

    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    session = boto3.session.Session(profile_name=os.environ.get("AWS_PROFILE") or None)
    return session.client("s3", region_name=region, config=Config(retries=S3_RETRIES))


def open_store(root: str, s3_client: Any | None = None) -> SourceStore:
    """Open a sources root: a local folder, or `s3://bucket/prefix` read with `s3_client`.

    Without a client, one is built from the environment (see `s3_client_from_environment`);
    a Dagster `S3Resource(...).get_client()` can be passed instead. An unreachable bucket, bad
    credentials or an empty prefix fail here, as an InputError naming the root.
    """
    if not root.startswith("s3://"):
        return LocalStore(root)

    if s3_client is None:
        from botocore.exceptions import BotoCoreError

        try:
            s3_client = s3_client_from_environment()
        except BotoCoreError as exc:
            raise InputError(f"cannot open sources root {root}: {_s3_problem(exc)}") from None
    store = S3Store(root, s3_client)
    store.check()
    return store
