"""Instructions per step, counted by valgrind: ``python -m bench.icount --baseline REF``.

Timings on a shared machine drift by several percent between runs; the number of
instructions a step executes does not. Each workload's step (the same ones ``bench.run``
times) runs under ``valgrind --tool=callgrind`` in a fresh process, once with no steps and
once with ``N``, for the working tree and for a git revision extracted beside it; the
difference divided by ``N`` is the count per step. BLAS runs on one thread and the cyclic
collector is off, so the count is the same from run to run. It measures the Python work of
the engine (what the hot-path changes move), not the time the BLAS kernels take.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    __package__ = "bench"

from .compare import _extract  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: W1c and W5c are the compiled steps, W1h and W5h the hand-written numpy ones
STEPS = {
    "W1": 100,
    "W1nn": 100,
    "W4": 20,
    "W5": 500,
    "W1c": 100,
    "W5c": 500,
    "W1h": 100,
    "W5h": 500,
}

# Run in the measured process: import the packages from TREE, build one workload's step with
# the bench's own builders, run it N times.
_DRIVER = """
import gc, sys
tree, root, workload, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
sys.path[:0] = [tree]
sys.path.append(root)
import autograd_core, nn  # from the tree under test
from bench import mlp, small
if workload in ("W1", "W1nn", "W1c", "W1h"):
    weights, x, y = mlp.problem(mlp.W1)
    make = {"W1": mlp.ours_raw_impl, "W1nn": mlp.ours_nn_impl, "W1c": mlp.ours_compiled_impl,
            "W1h": mlp.numpy_impl}
    step = make[workload](mlp.W1, weights, x, y).step
elif workload == "W4":
    step = next(i for i in small.chain_impls(1000) if i.name.startswith("ours")).step
elif workload in ("W5c", "W5h"):
    name = mlp.COMPILED if workload == "W5c" else "numpy by hand"
    step = next(i for i in small.tiny_impls() if i.name == name).step
else:
    step = next(i for i in small.tiny_impls() if i.name.startswith("ours")).step
step()
step()  # (a compiled step: traced, then replayed)
gc.disable()
for _ in range(n):
    step()
"""


def _instructions(tree: str, workload: str, n: int, driver: str) -> int:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", PYTHONHASHSEED="0")
    out = subprocess.run(
        [
            "valgrind",
            "--tool=callgrind",
            "--callgrind-out-file=/dev/null",
            sys.executable,
            driver,
            tree,
            ROOT,
            workload,
            str(n),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    ).stderr
    found = re.search(r"Collected : (\d+)", out)
    if found is None:
        raise RuntimeError(f"valgrind printed no instruction count:\n{out[-2000:]}")
    return int(found.group(1))


def per_step(tree: str, workload: str, driver: str, jobs: int) -> float:
    """Instructions per step of ``workload`` with the packages of ``tree``."""
    n = STEPS[workload]
    with ThreadPoolExecutor(jobs) as pool:
        none, some = pool.map(lambda k: _instructions(tree, workload, k, driver), (0, n))
    return (some - none) / n


def main(argv: list[str] | None = None) -> int:
    """Count both versions of each workload and print the table."""
    ap = argparse.ArgumentParser(prog="python -m bench.icount", description=__doc__)
    ap.add_argument("--baseline", default="main", help="git revision to compare against")
    ap.add_argument(
        "-w", "--workloads", default="W1,W1nn,W4,W5", help="subset of " + ",".join(STEPS)
    )
    ap.add_argument("-j", "--jobs", type=int, default=2, help="valgrind runs at once")
    args = ap.parse_args(argv)
    if shutil.which("valgrind") is None:
        ap.error("valgrind is not installed (apt-get install valgrind)")
    chosen = [w.strip() for w in args.workloads.split(",") if w.strip()]
    unknown = sorted(set(chosen) - set(STEPS))
    if unknown:
        ap.error(f"unknown workloads {unknown}; choose from {','.join(STEPS)}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "baseline")
        os.mkdir(base)
        _extract(args.baseline, ROOT, base)
        driver = os.path.join(tmp, "driver.py")
        with open(driver, "w") as f:
            f.write(_DRIVER)
        for w in chosen:
            print(f"counting {w} ...", file=sys.stderr, flush=True)
            old = per_step(base, w, driver, args.jobs)
            new = per_step(ROOT, w, driver, args.jobs)
            per = " per op" if w == "W4" else ""
            rows.append(
                f"| {w}{per} | {old / (1000 if w == 'W4' else 1):,.0f} | "
                f"{new / (1000 if w == 'W4' else 1):,.0f} | {new / old:.3f}x |"
            )
    print(f"Instructions per step (valgrind), baseline {args.baseline} vs the working tree\n")
    print("| Workload | baseline | working tree | ratio |")
    print("|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
