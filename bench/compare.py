"""Two versions of the library side by side in one process: ``python -m bench.compare``.

``--baseline REF`` (a git revision, default ``main``) is extracted into a temporary folder
and imported under the packages' own names; the workloads build their implementations from
it, the modules are then dropped from ``sys.modules`` and the working tree's version is
imported, and the workloads build again. Each implementation's closures keep the module they
were built from, so both versions run interleaved in one timing loop, on one machine load,
with the hand-written numpy step as the common reference. The report gives each version's
ratio to that step and the ratio of the two (new / baseline).
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "bench"

from . import mlp, small  # noqa: E402
from .agree import compare  # noqa: E402
from .mlp import Impl  # noqa: E402
from .timing import blas_info, fmt_time, interleaved, summary, threads  # noqa: E402

PACKAGES = ("autograd_core", "nn")
HAND = "numpy by hand"
OURS = ("ours (autograd_core)", "ours (nn)")
TOL = {np.float32: 2e-4, np.float64: 1e-9}


def _extract(ref: str, root: str, into: str) -> None:
    """The packages of revision ``ref`` written into the folder ``into``."""
    blob = subprocess.run(
        ["git", "-C", root, "archive", "--format=tar", ref, *PACKAGES],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(blob)) as tar:
        tar.extractall(into, filter="data")


def _drop_packages() -> None:
    for name in list(sys.modules):
        if name.split(".")[0] in PACKAGES:
            del sys.modules[name]


def _build(workload: str, chain: int) -> list[Impl]:
    """The implementations of ``workload`` built from the packages imported right now."""
    if workload == "W1":
        return mlp.build(mlp.W1)
    if workload == "W2":
        return mlp.build(mlp.W2)
    if workload == "W4":
        return small.chain_impls(chain)
    if workload == "W5":
        return small.tiny_impls()
    raise ValueError(f"unknown workload {workload!r}")


def _both(workload: str, tree: str, chain: int) -> list[Impl]:
    """Baseline and working-tree implementations of ``workload``, plus the by-hand step."""
    _drop_packages()
    sys.path.insert(0, tree)
    importlib.invalidate_caches()
    try:
        base = [i for i in _build(workload, chain) if i.name in OURS]
    finally:
        sys.path.remove(tree)
        _drop_packages()
    importlib.invalidate_caches()
    new = [i for i in _build(workload, chain) if i.name in OURS or i.name == HAND]
    for i in base:
        i.name = f"baseline: {i.name}"
    return base + new


def main(argv: list[str] | None = None) -> int:
    """Parse the options, run both versions of each workload and print the report."""
    ap = argparse.ArgumentParser(prog="python -m bench.compare", description=__doc__)
    ap.add_argument("--baseline", default="main", help="git revision to compare against")
    ap.add_argument("-w", "--workloads", default="W1,W4,W5", help="subset of W1,W2,W4,W5")
    ap.add_argument("-r", "--repeats", type=int, default=61, help="samples per implementation")
    ap.add_argument("--chain", type=int, default=2000, help="W4 chain length")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads")
    args = ap.parse_args(argv)
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # the working tree's packages must win over an installed copy once the baseline is gone
    if root not in sys.path:
        sys.path.insert(0, root)
    rows = []
    with tempfile.TemporaryDirectory() as tree:
        _extract(args.baseline, root, tree)
        for w in [w.strip().upper() for w in args.workloads.split(",") if w.strip()]:
            print(f"running {w} ...", file=sys.stderr, flush=True)
            impls = [i for i in _both(w, tree, args.chain) if not i.skip]
            tol = TOL[np.float64] if w == "W4" else TOL[np.float32]
            compare({i.name: i.check() for i in impls if i.check}, HAND, tol)
            per = args.chain if w == "W4" else 1
            with threads(args.threads):
                samples = interleaved({i.name: i.step for i in impls}, args.repeats)
            med = {name: summary(xs)[0] / per for name, xs in samples.items()}
            for name in samples:
                if name == HAND:
                    continue
                plain = name.removeprefix("baseline: ")
                pair = ""
                if not name.startswith("baseline: ") and f"baseline: {plain}" in med:
                    pair = f"{med[name] / med[f'baseline: {plain}']:.3f}x"
                rows.append(
                    f"| {w} | {name} | {fmt_time(med[name])} | "
                    f"{med[name] / med[HAND]:.2f}x | {pair} |"
                )
    print(f"BLAS: {blas_info()}; baseline {args.baseline}; per op for W4 ({args.chain} ops)\n")
    print("| Workload | Implementation | Median | x numpy by hand | new / baseline |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
