"""Lambda code archives: describe the Pulumi asset tree, then unpack it like the zip."""

from __future__ import annotations

import shutil
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pulumi

ArchiveSpec = dict[str, Any]

_SKIPPED_DIRS = {"__pycache__"}


class UnsupportedArchiveError(ValueError):
    pass


def describe(value: Any, base_dir: Path) -> ArchiveSpec:
    """A JSON-able description of an Asset/Archive, with absolute paths."""
    if isinstance(value, pulumi.AssetArchive):
        return {
            "kind": "assets",
            "assets": {key: describe(item, base_dir) for key, item in value.assets.items()},
        }
    if isinstance(value, pulumi.FileArchive):
        return {"kind": "file_archive", "path": str((base_dir / value.path).resolve())}
    if isinstance(value, pulumi.FileAsset):
        return {"kind": "file_asset", "path": str((base_dir / value.path).resolve())}
    if isinstance(value, pulumi.StringAsset):
        return {"kind": "string_asset", "text": value.text}
    raise UnsupportedArchiveError(
        f"the embedded cloud cannot unpack {type(value).__name__}; use a FileArchive, "
        "AssetArchive, FileAsset or StringAsset"
    )


def materialize(spec: ArchiveSpec, destination: Path) -> None:
    """Unpack `spec` into `destination` exactly as Lambda would see the zip."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    _unpack_archive(spec, destination)


def _unpack_archive(spec: ArchiveSpec, destination: Path) -> None:
    kind = spec["kind"]
    if kind == "assets":
        for key, item in spec["assets"].items():
            if item["kind"] in ("file_archive", "assets"):
                target = destination / key
                target.mkdir(parents=True, exist_ok=True)
                _unpack_archive(item, target)
            else:
                _write_asset(item, destination / key)
    elif kind == "file_archive":
        _unpack_file_archive(Path(spec["path"]), destination)
    else:
        raise UnsupportedArchiveError(f"{kind} is an asset, not an archive")


def _write_asset(spec: ArchiveSpec, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if spec["kind"] == "file_asset":
        shutil.copyfile(spec["path"], target)
    elif spec["kind"] == "string_asset":
        target.write_text(spec["text"], encoding="utf-8")
    else:
        raise UnsupportedArchiveError(f"unknown asset kind {spec['kind']}")


def _unpack_file_archive(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(
            source,
            destination,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(*_SKIPPED_DIRS, "*.pyc"),
        )
    elif zipfile.is_zipfile(source):
        with zipfile.ZipFile(source) as archive:
            archive.extractall(destination)
    elif tarfile.is_tarfile(source):
        with tarfile.open(source) as archive:
            archive.extractall(destination, filter="data")
    else:
        raise UnsupportedArchiveError(f"{source} is neither a folder, a zip nor a tar file")
