"""Writing a file atomically: all of the new contents or, if anything goes wrong, the old file.

``atomic_write(path, data)`` writes a temporary file in the folder of the file it replaces,
flushes it to disk and renames it over the target, so a reader never sees half a file and a
crash leaves the previous version whole. nn's ``save`` / ``save_weights`` and the graph
drawings (``autograd_core.viz.save_graph``) all write through it.

What the replaced file looks like afterwards:

- a new file gets the permissions the umask allows (``0666 & ~umask``, as ``open`` gives);
  an existing file keeps its mode;
- a symlink stays a symlink: the file it points to is replaced (the temporary sits next to
  that file, so the rename stays on one file system);
- the temporary is named ``.{name}.tmp-{pid}-{random}``. A process killed mid-write leaves
  one behind; the next write to the same file removes those whose process is gone, and
  any older than a day (a process id may have been reused since).
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

__all__ = ["atomic_write", "temporary_name", "stale_temporaries"]

_TMP = re.compile(r"^\.(?P<name>.+)\.tmp-(?P<pid>\d+)-[0-9a-f]{12}$")
# A temporary this old is stale whatever its process id says (ids are reused).
STALE_AFTER_S = 24 * 3600


def temporary_name(name: str) -> str:
    """The name a write to ``name`` uses for its temporary: ``.{name}.tmp-{pid}-{random}``."""
    return f".{name}.tmp-{os.getpid()}-{secrets.token_hex(6)}"


def _alive(pid: int) -> bool:
    if pid == os.getpid() or os.name != "posix":
        # ours (another thread may be writing it right now); elsewhere than POSIX, signal 0
        # does not merely ask whether a process exists, so nothing is assumed dead
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, still running
    except OSError:
        return True  # cannot tell: leave the file alone
    return True


def _old(path: Path) -> bool:
    try:
        return time.time() - os.lstat(path).st_mtime > STALE_AFTER_S
    except OSError:
        return False


def stale_temporaries(target: str | os.PathLike) -> list[Path]:
    """Temporaries left by interrupted writes to ``target`` whose process has exited, or
    older than ``STALE_AFTER_S``."""
    target = Path(target)
    try:
        names = os.listdir(target.parent)
    except OSError:
        return []
    out = []
    for entry in names:
        m = _TMP.match(entry)
        if m and m.group("name") == target.name:
            candidate = target.parent / entry
            if not _alive(int(m.group("pid"))) or _old(candidate):
                out.append(candidate)
    return out


def _resolve(path: Path) -> Path:
    """The file a write to ``path`` replaces: ``path`` itself, or the end of its symlinks."""
    if not path.is_symlink():
        return path
    # realpath follows every link (relative ones from their own folder) and tolerates a
    # dangling one, whose target the write then creates.
    return Path(os.path.realpath(path))


def atomic_write(path: str | os.PathLike, data: bytes | str, parents: bool = False) -> Path:
    """Write ``data`` (a str is UTF-8 encoded) to ``path`` atomically; returns ``path``.

    With ``parents`` missing folders are created first. Raises what the file system raises
    (the old file, if any, is then unchanged and the temporary removed).
    """
    given = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    target = _resolve(given)
    folder = target.parent
    if parents:
        folder.mkdir(parents=True, exist_ok=True)
    for old in stale_temporaries(target):
        try:
            old.unlink()
        except OSError:
            pass  # another writer got there first, or we may not: not our business
    try:
        mode: int | None = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        mode = None  # a new file: the umask decides, as for open()
    while True:
        tmp = folder / temporary_name(target.name)
        try:
            # O_EXCL: never write through a file (or link) that appeared under our name
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        try:
            if mode is not None and hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
            view = memoryview(data)
            while view:
                n = os.write(fd, view)
                view = view[n:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        # Whatever went wrong (a full disk, a signal), the old file is untouched; our
        # temporary goes.
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)
    return given


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a folder be opened or synced.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # the new file is in place already; only the rename's durability is unknown
    finally:
        os.close(fd)
