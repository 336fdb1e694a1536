"""Every benchmark implementation computes what the hand-written numpy step computes.

These are the checks ``python -m bench.run`` makes before timing, run once each here (no
timing, no thresholds on speed). Workloads are the real ones except W3, which is shrunk to
keep the test fast; PyTorch joins in when it is installed.
"""

import numpy as np
import pytest

from bench import mlp, small
from bench.agree import Disagreement, compare

SMALL_W3 = mlp.MLPSpec("W3 deep (shrunk)", (64, 96, 96, 96, 10), 32, "ce", 2)


def _results(impls):
    return {i.name: i.check() for i in impls if not i.skip and i.check is not None}


@pytest.mark.parametrize("spec", [mlp.W1, mlp.W2, SMALL_W3], ids=["W1", "W2", "W3"])
def test_mlp_implementations_agree_on_loss_and_gradients(spec):
    impls = mlp.build(spec)
    results = _results(impls)
    assert {"ours (autograd_core)", "numpy by hand"} <= set(results)
    worst = compare(results, "numpy by hand", tol=2e-4)
    assert set(worst) == set(results) - {"numpy by hand"}
    loss, grads = results["numpy by hand"]
    assert np.isfinite(loss) and len(grads) == 2 * (len(spec.sizes) - 1)


@pytest.mark.parametrize("spec", [mlp.W1, SMALL_W3], ids=["W1", "W3"])
def test_a_step_updates_every_implementation_the_same_way(spec):
    # after one SGD step from the same start, the next loss and gradients still agree
    impls = [i for i in mlp.build(spec) if not i.skip and i.check is not None]
    for i in impls:
        i.step()
    compare(_results(impls), "numpy by hand", tol=5e-4)


def test_the_matmul_floor_runs_the_products_of_a_step():
    spec = SMALL_W3
    impl = mlp.matmul_impl(spec, *mlp.problem(spec))
    impl.step()
    assert impl.check is None  # it computes no loss: timed only, never compared


@pytest.mark.parametrize("n_ops", [2, 2000])
def test_chain_implementations_agree(n_ops):
    results = _results(small.chain_impls(n_ops))
    compare(results, "numpy by hand", tol=1e-9)


def test_tiny_graph_implementations_agree():
    compare(_results(small.tiny_impls()), "numpy by hand", tol=1e-6)


def test_compare_catches_a_wrong_gradient():
    loss, grads = 1.0, [np.ones(3)]
    wrong = [np.array([1.0, 1.0, 1.1])]
    with pytest.raises(Disagreement, match="gradient 0"):
        compare({"ref": (loss, grads), "bad": (loss, wrong)}, "ref", tol=1e-6)
    with pytest.raises(Disagreement, match="the loss"):
        compare({"ref": (loss, grads), "bad": (1.01, grads)}, "ref", tol=1e-6)


def test_the_report_runs_end_to_end(capsys):
    from bench.run import main

    main(["-w", "W5", "-r", "3"])
    out = capsys.readouterr().out
    assert "| W5" in out and "numpy by hand" in out and "| Target |" in out
