"""Atomic file output: write to a temporary file beside the target, then move it into place.

A reader never sees a half-written file, a failed or interrupted write leaves nothing behind,
and an existing file is only replaced when the caller says so (without ``overwrite`` the
finished file is published with a hard link, which refuses atomically if the name appeared
meanwhile).  OSErrors become OutputErrors naming the file.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from ..errors import OutputError


# --- atomic writing ------------------------------------------------------------------------

def refuse_input_as_output(target: str | os.PathLike, inputs) -> None:
    """No command writes over one of its inputs, whatever the flags.  Files are compared by
    identity (device and inode, ``os.path.samefile``), not by name, so ``./clip.mp4``, a
    symlink or a hard link to the input is caught as well as the same spelling."""
    for source in inputs:
        if source is None:
            continue
        try:
            same = os.path.samefile(source, target)
        except (OSError, ValueError):       # one of them does not exist (or is no path)
            continue
        if same:
            raise OutputError("is one of the inputs; lsquared never writes over an input",
                              path=Path(target), hint="choose another output name")


def check_writable(target: Path, overwrite: bool, inputs=()) -> None:
    refuse_input_as_output(target, inputs)
    folder = target.parent
    if not folder.is_dir():
        raise OutputError("the output folder does not exist", path=folder, hint="create it first")
    if target.is_dir():
        raise OutputError("is a folder, not a file name", path=target, hint="name an output file")
    if target.exists() and not overwrite:
        raise OutputError("already exists", path=target, hint="use --overwrite to replace it")


def _open_temp(target: Path) -> Path:
    """An empty temporary file beside the target, created with the umask's permissions (as
    the final file should have; mkstemp would make it 0600)."""
    for _ in range(10):
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "xb"):
                return tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise OutputError(f"cannot write in this folder ({exc.strerror or exc})",
                              path=target.parent, hint="check that it exists and is writable") from exc
    raise OutputError("cannot create a temporary file", path=target.parent)


def _publish(tmp: Path, target: Path, overwrite: bool) -> None:
    """Move the finished file into place.  Without overwrite, a hard link refuses atomically
    to replace a file that appeared meanwhile (another process writing the same name)."""
    if overwrite:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)
    except FileExistsError as exc:
        raise OutputError("already exists", path=target, hint="use --overwrite to replace it") from exc
    except OSError:                       # no hard links on this file system
        if target.exists():
            raise OutputError("already exists", path=target, hint="use --overwrite to replace it")
        os.replace(tmp, target)
        return
    os.unlink(tmp)


def atomic_write(target: str | os.PathLike, write: Callable[[Path], None], *,
                 overwrite: bool = False, inputs=()) -> Path:
    """Run ``write(temp_path)`` and move the result to ``target``; on any failure no file is
    left behind and the target is untouched.  OSErrors become OutputErrors naming the file."""
    target = Path(target)
    check_writable(target, overwrite, inputs)
    tmp = _open_temp(target)
    try:
        write(tmp)
        _publish(tmp, target, overwrite)
    except OSError as exc:
        raise OutputError(f"could not write the file ({exc.strerror or exc})", path=target) from exc
    finally:
        if tmp.exists():
            tmp.unlink()
    return target


def atomic_write_bytes(target: str | os.PathLike, data: bytes, *, overwrite: bool = False,
                       inputs=()) -> Path:
    return atomic_write(target, lambda tmp: tmp.write_bytes(data), overwrite=overwrite, inputs=inputs)


def current_umask() -> int:
    """The process's umask (read by setting and restoring it), for files made outside
    atomic_write that should get the usual permissions (io.video's temporary output)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
