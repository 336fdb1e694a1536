"""Write the notebooks 01-03 from the cells below and execute them, so that they are
committed with their outputs (figures inline).

    python notebooks/build.py            # all three
    python notebooks/build.py 01 02      # some

Run from the repository root; the kernel finds the packages through PYTHONPATH.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))  # for autograd_core.viz.atomic_write, when run as a script

SETUP = """\
try:
    import autograd_core  # noqa: F401
except ImportError:  # a checkout without `pip install -e .`: use the parent folder
    import sys
    sys.path.insert(0, "..")
import numpy as np
import autograd_core as ag
from autograd_core import Tensor, draw_graph
np.set_printoptions(precision=4, suppress=True)"""

NB1 = [
    (
        "md",
        """\
# 1. Autograd from scratch

A `Tensor` is a numpy array that remembers how it was computed. Each operation on tensors that
require gradients is recorded as a node of a graph; `backward()` walks that graph from the
output back to the inputs and applies the chain rule, one local derivative per operation.

Here we check `backward()` against the derivatives the textbooks work out by hand, draw the
graph, and watch the backward pass step by step.""",
    ),
    ("code", SETUP),
    (
        "md",
        """\
## Tensors and recorded operations

`y = sum(x²)` has gradient `2x`. `x.grad` is filled by `backward()`, with the shape and dtype
of `x`.""",
    ),
    (
        "code",
        """\
x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True, name="x")
y = (x * x).sum()
y.backward()
print("y      =", y.item())
print("x.grad =", x.grad, "  2x =", 2 * x.data)
assert np.allclose(x.grad, 2 * x.data)""",
    ),
    (
        "md",
        """\
## The sigmoid: σ′(z) = σ(z)(1 − σ(z))

The derivative every text derives first. Summing the outputs makes `z.grad` the elementwise
derivative.""",
    ),
    (
        "code",
        """\
z = Tensor(np.linspace(-4, 4, 9), requires_grad=True, name="z")
s = z.sigmoid()
s.sum().backward()
by_hand = s.data * (1 - s.data)
print("backward :", z.grad)
print("σ(1 − σ) :", by_hand)
print("largest difference:", np.abs(z.grad - by_hand).max())
assert np.allclose(z.grad, by_hand, rtol=1e-12, atol=0)""",
    ),
    (
        "md",
        """\
## Binary cross-entropy after a sigmoid: ∂L/∂z = (ŷ − y)/m

With L = −(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)] and ŷ = σ(z), the two derivatives
∂L/∂ŷ and σ′(z) cancel into the famous (ŷ − y)/m.""",
    ),
    (
        "code",
        """\
rng = np.random.default_rng(0)
m = 6
z = Tensor(rng.standard_normal(m), requires_grad=True, name="z")
y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])
y_hat = z.sigmoid()
L = -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).mean()
L.backward()
by_hand = (y_hat.data - y) / m
print("backward   :", z.grad)
print("(ŷ − y)/m  :", by_hand)
assert np.allclose(z.grad, by_hand, rtol=1e-10, atol=1e-14)""",
    ),
    (
        "md",
        """\
## Softmax with cross-entropy: ∂L/∂z = ŷ − y

For one example with one-hot `y`, L = −Σ y log softmax(z); its gradient is the predicted
distribution minus the target.""",
    ),
    (
        "code",
        """\
z = Tensor(np.array([2.0, 1.0, 0.1]), requires_grad=True, name="logits")
y = np.array([0.0, 1.0, 0.0])
L = -(z.log_softmax() * y).sum()
L.backward()
y_hat = np.exp(z.data) / np.exp(z.data).sum()
print("backward :", z.grad)
print("ŷ − y    :", y_hat - y)
assert np.allclose(z.grad, y_hat - y)""",
    ),
    (
        "md",
        """\
## A small network: the δ equations of backpropagation

Higham & Higham's network 2 → 2 → 3 → 2, sigmoid everywhere, cost C = ½‖y − a³‖² for one
point (column vectors, zˡ = Wˡaˡ⁻¹ + bˡ, aˡ = σ(zˡ)). Backpropagation by hand:

- δᴸ = (aᴸ − y) ⊙ σ′(zᴸ)
- δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ)
- ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ,  ∂C/∂bˡ = δˡ

We compute them with numpy and compare with `backward()`. Each layer's operations are
recorded inside a `graph_scope`, so the drawing below groups them.""",
    ),
    (
        "code",
        """\
rng = np.random.default_rng(1)
sizes = [2, 2, 3, 2]
W = [Tensor(0.5 * rng.standard_normal((n_out, n_in)), requires_grad=True, name=f"W{l}")
     for l, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=2)]
b = [Tensor(0.5 * rng.standard_normal((n_out, 1)), requires_grad=True, name=f"b{l}")
     for l, n_out in enumerate(sizes[1:], start=2)]
x = np.array([[0.1], [0.1]])
target = np.array([[1.0], [0.0]])

a = Tensor(x, name="x")
for l, (Wl, bl) in enumerate(zip(W, b), start=2):
    with ag.graph_scope(f"layer {l}: {Wl.shape[1]}→{Wl.shape[0]}, sigmoid"):
        a = (Wl @ a + bl).sigmoid()
C = 0.5 * ((target - a) ** 2).sum()
C.name = "C"

# the same forward pass in numpy, keeping z and a of each layer
acts, zs = [x], []
for Wl, bl in zip(W, b):
    zs.append(Wl.data @ acts[-1] + bl.data)
    acts.append(1 / (1 + np.exp(-zs[-1])))
sig_prime = [s * (1 - s) for s in acts[1:]]
delta = [None] * 3
delta[2] = (acts[3] - target) * sig_prime[2]
for l in (1, 0):
    delta[l] = (W[l + 1].data.T @ delta[l + 1]) * sig_prime[l]

C.backward()
for l in range(3):
    dW = delta[l] @ acts[l].T
    print(f"layer {l + 2}: |dC/dW - δ aᵀ| = {np.abs(W[l].grad - dW).max():.2e}   "
          f"|dC/db - δ| = {np.abs(b[l].grad - delta[l]).max():.2e}")
    assert np.allclose(W[l].grad, dW) and np.allclose(b[l].grad, delta[l])""",
    ),
    (
        "md",
        """\
And against central differences, the oracle that needs no calculus at all:""",
    ),
    (
        "code",
        """\
def cost(W2_00):
    Ws = [w.data.copy() for w in W]
    Ws[0][0, 0] = W2_00
    a = x
    for Wl, bl in zip(Ws, b):
        a = 1 / (1 + np.exp(-(Wl @ a + bl.data)))
    return 0.5 * ((target - a) ** 2).sum()

eps = 1e-6
w = W[0].data[0, 0]
numeric = (cost(w + eps) - cost(w - eps)) / (2 * eps)
print(f"dC/dW2[0,0]: backward {W[0].grad[0, 0]:.10f}   central difference {numeric:.10f}")
assert abs(W[0].grad[0, 0] - numeric) < 1e-8""",
    ),
    (
        "md",
        """\
## The graph, drawn

One box per tensor (parameters solid, data dashed, the output doubled), one ellipse per
operation; layers are clusters. With `show_grad=True` every tensor is coloured by the norm of
its gradient (blue: vanishing, green: healthy, orange: exploding) and the gradient is printed.
The graph stays drawable after `backward()`; `record_gradients` keeps the gradients of the
intermediate results through it.""",
    ),
    (
        "code",
        """\
for t in W + b:
    t.grad = None
a = Tensor(x, name="x")
for l, (Wl, bl) in enumerate(zip(W, b), start=2):
    with ag.graph_scope(f"layer {l}: {Wl.shape[1]}→{Wl.shape[0]}, sigmoid"):
        a = (Wl @ a + bl).sigmoid()
C = 0.5 * ((target - a) ** 2).sum()
C.name = "C"
with ag.record_gradients(C):
    C.backward()
draw_graph(C, show_grad=True)""",
    ),
    ("md", "The same graph with each layer collapsed into one box, and as text:"),
    ("code", "draw_graph(C, show_grad=True, collapse_layers=True)"),
    ("code", "ag.print_graph(C)"),
    (
        "md",
        """\
## Backward, step by step

`explain_backward` replays the backward pass of a small graph in the order the engine visits
the operations: the gradient arriving at each operation, the local derivative it applies, and
the gradient it hands on to each input (nothing is stored in `.grad`). Here: one neuron with
a sigmoid and binary cross-entropy on four points. At the sigmoid the arriving gradient times
σ(1 − σ) gives (ŷ − y)/m, as derived above.""",
    ),
    (
        "code",
        """\
xs = np.array([-1.0, 0.5, 2.0, 1.5])
ys = np.array([0.0, 1.0, 1.0, 0.0])
w = Tensor(np.array(0.8), requires_grad=True, name="w")
b0 = Tensor(np.array(-0.3), requires_grad=True, name="b")
y_hat = (w * xs + b0).sigmoid()
L = -(ys * y_hat.log() + (1 - ys) * (1 - y_hat).log()).mean()
L.name = "L"
table = ag.explain_backward(L)
table""",
    ),
    (
        "code",
        """\
steps = ag.backward_steps(L)
sig = next(s for s in steps if s.op.startswith("sigmoid"))
print("passed on by the sigmoid:", sig.passes[0][1])
print("(ŷ − y)/m               :", (y_hat.data - ys) / len(xs))
assert np.allclose(sig.passes[0][1], (y_hat.data - ys) / len(xs))""",
    ),
    (
        "md",
        """\
## Deep graphs

The backward walk is iterative, so a chain of 10,000 operations is no problem (no recursion
limit is touched). Drawn, a graph that large is summarised: the operations closest to the
output are shown, the rest counted.""",
    ),
    (
        "code",
        """\
t = Tensor(np.array([1.0, 2.0]), requires_grad=True, name="t")
u = t
for _ in range(10_000):
    u = u * 1.0001
total = u.sum()
total.backward()
print("d total / dt =", t.grad, "  expected", 1.0001 ** 10_000)
draw_graph(total, max_nodes=6)""",
    ),
]

NB2 = [
    (
        "md",
        """\
# 2. The two-circles classifier

The Keras tutorial example: two concentric circles of points, a network of five Dense layers
(2 → 4 → 6 → 6 → 4 → 1, ReLU hidden, sigmoid out), binary cross-entropy, Adam, 50 epochs.
The published result: almost 100% test accuracy. Every figure the texts draw, from our engine.""",
    ),
    (
        "code",
        "%matplotlib inline\n"
        + SETUP
        + """
import nn
from nn import Dense, Sequential, plots
from nn.callbacks import EpochTimer
from IPython.display import Image
nn.set_seed(0)""",
    ),
    ("md", "## The data: two classes as two colours"),
    (
        "code",
        """\
X, y = nn.datasets.make_circles(1000, noise=0.05, factor=0.5, seed=0)
order = np.random.default_rng(0).permutation(len(X))
X, y = X[order].astype(np.float32), y[order].reshape(-1, 1)
X_train, y_train = X[:600], y[:600]
X_val, y_val = X[600:800], y[600:800]
X_test, y_test = X[800:], y[800:]
print("train", X_train.shape, " validation", X_val.shape, " test", X_test.shape)
plots.plot_dataset(X_train, y_train, title="two circles: training set")""",
    ),
    (
        "md",
        """\
## The network, line by line

Each neuron computes z = w·x + b and a = g(z); a layer does it for all its neurons at once,
Z = X W + b, A = g(Z), with W of shape (inputs, units).""",
    ),
    (
        "code",
        """\
model = Sequential([
    Dense(4, input_dim=2, activation="relu"),
    Dense(6, activation="relu"),
    Dense(6, activation="relu"),
    Dense(4, activation="relu"),
    Dense(1, activation="sigmoid"),
])
model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
for layer in model.layers:
    print(f"{type(layer).__name__}({layer.units:>2}): kernel {layer.kernel.shape}, "
          f"bias {layer.bias.shape}")
print("parameters:", sum(p.size for p in model.parameters()))
model.draw()""",
    ),
    (
        "md",
        """\
## Training, with the decision boundary recorded every second epoch""",
    ),
    (
        "code",
        """\
recorder = plots.BoundaryRecorder(X_train, y_train, model=model, every=2, resolution=80)
recorder.capture(0)
timer = EpochTimer()
history = model.fit(X_train, y_train, epochs=50, batch_size=32,
                    validation_data=(X_val, y_val), verbose=0, callbacks=[recorder, timer])
h = history.history
for epoch in (0, 9, 19, 29, 39, 49):
    print(f"epoch {epoch + 1:>2}: loss {h['loss'][epoch]:.4f}  accuracy {h['accuracy'][epoch]:.3f}"
          f"  val_loss {h['val_loss'][epoch]:.4f}  val_accuracy {h['val_accuracy'][epoch]:.3f}")
test_loss, test_acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test accuracy: {test_acc:.4f}")""",
    ),
    ("md", "## Loss and accuracy over the epochs"),
    ("code", "plots.plot_history(history, title='two circles')"),
    ("md", "## The decision boundary over the test set"),
    (
        "code",
        "plots.plot_decision_boundary(model, X_test, y_test, "
        "title=f'test set, accuracy {test_acc:.3f}')",
    ),
    ("md", "## The boundary forming during training"),
    ("code", "Image(data=plots.animate_decision_boundary(recorder, fps=8), format='gif')"),
    (
        "md",
        """\
## The trained network

Each connection drawn with a width by the size of its weight, blue positive, red negative.""",
    ),
    ("code", "model.draw(show_weights=True)"),
    (
        "md",
        """\
## Activation functions and their derivatives

The derivatives are not typed in: each curve on the bottom row is `x.grad` after
`f(x).sum().backward()`.""",
    ),
    ("code", "plots.plot_activations()"),
    (
        "md",
        """\
## Gradient descent on a 2-D loss surface

`nn.optim` on a single 2-element Tensor, from one start, on the ravine
f(θ) = 0.1 θ₁² + 2 θ₂². Plain SGD zig-zags across the valley; momentum builds up speed along
it; RMSprop and Adam rescale each coordinate.""",
    ),
    ("code", "plots.plot_optimizer_paths()"),
    (
        "md",
        """\
## The computation graph of the loss

The loss on a batch of 8 test points, each Dense layer a cluster, every tensor coloured by its
gradient norm. Collapsed, each layer is one box listing its parameters.""",
    ),
    (
        "code",
        """\
loss = nn.losses.binary_crossentropy(y_test[:8], model(Tensor(X_test[:8])))
loss.name = "loss"
with ag.record_gradients(loss):
    loss.backward()
model.zero_grad()
draw_graph(loss, show_grad=True)""",
    ),
    ("code", "draw_graph(loss, show_grad=True, collapse_layers=True)"),
]

NB3 = [
    (
        "md",
        """\
# 3. Fashion-MNIST with the classic 784-512-10 network

The "hello world" of Deep Learning with Python (chapter 2): Dense 784 → 512 (ReLU) → 10
(softmax), RMSprop, categorical cross-entropy, 5 epochs, batch 128, pixels scaled to [0, 1],
one-hot labels. Published MLP baselines on Fashion-MNIST reach 0.87-0.89 test accuracy.""",
    ),
    (
        "code",
        "%matplotlib inline\n"
        + SETUP
        + """
import time
import nn
from nn import Dense, Sequential, plots
from nn.callbacks import EpochTimer
nn.set_seed(0)""",
    ),
    (
        "code",
        """\
(x_train, y_train), (x_test, y_test) = nn.datasets.load_fashion_mnist()
print("train", x_train.shape, x_train.dtype, " test", x_test.shape, " labels", y_train[:10])
CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
           "Sneaker", "Bag", "Ankle boot"]""",
    ),
    (
        "code",
        """\
from matplotlib.figure import Figure
fig = Figure(figsize=(9, 2.2), layout="constrained")
for i, ax in enumerate(fig.subplots(1, 8)):
    ax.imshow(x_train[i], cmap="gray_r")
    ax.set_title(CLASSES[y_train[i]], fontsize=8)
    ax.axis("off")
fig""",
    ),
    ("md", "## Preparing the data and the network"),
    (
        "code",
        """\
train_images = x_train.reshape(60000, 28 * 28).astype(np.float32) / 255
test_images = x_test.reshape(10000, 28 * 28).astype(np.float32) / 255
train_labels = np.eye(10, dtype=np.float32)[y_train]
test_labels = np.eye(10, dtype=np.float32)[y_test]

model = Sequential([
    Dense(512, activation="relu", input_dim=28 * 28),
    Dense(10, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="categorical_crossentropy", metrics=["accuracy"])
model.draw()""",
    ),
    (
        "md",
        """\
## Training: accuracy and time per epoch

The seconds depend on the machine and on what else runs on it (numpy's matrix products do
the work: about 0.2 GFLOP per batch of 128).""",
    ),
    (
        "code",
        """\
timer = EpochTimer()
start = time.perf_counter()
history = model.fit(train_images, train_labels, epochs=5, batch_size=128, verbose=0,
                    callbacks=[timer])
total = time.perf_counter() - start
h = history.history
print("epoch  loss    accuracy  seconds")
for e in range(5):
    print(f"{e + 1:>5}  {h['loss'][e]:.4f}  {h['accuracy'][e]:.4f}    {timer.seconds[e]:.1f}")
print(f"total {total:.1f} s")""",
    ),
    (
        "code",
        """\
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
print(f"test accuracy: {test_acc:.4f}   (published MLP baselines: 0.87-0.89)")""",
    ),
    ("code", "plots.plot_history(history, title='Fashion-MNIST, 784-512-10')"),
    ("md", "## Where it goes wrong: the confusion matrix"),
    (
        "code",
        """\
pred = model.predict(test_images, verbose=0).argmax(axis=1)
confusion = np.zeros((10, 10), dtype=int)
np.add.at(confusion, (y_test, pred), 1)
fig = Figure(figsize=(6, 5), layout="constrained")
ax = fig.subplots()
im = ax.imshow(confusion, cmap="Blues")
ax.set(xticks=range(10), yticks=range(10), xlabel="predicted", ylabel="true")
ax.set_xticklabels(CLASSES, rotation=60, ha="right", fontsize=7)
ax.set_yticklabels(CLASSES, fontsize=7)
for i in range(10):
    for j in range(10):
        ax.text(j, i, confusion[i, j], ha="center", va="center", fontsize=6,
                color="white" if confusion[i, j] > confusion.max() / 2 else "black")
fig""",
    ),
    (
        "md",
        """\
## The computation graph of the loss on one batch

The loss graph of the 784-512-10 network fits on a screen: each Dense layer is one cluster.""",
    ),
    (
        "code",
        """\
loss = nn.losses.categorical_crossentropy(test_labels[:128], model(Tensor(test_images[:128])))
loss.name = "loss"
with ag.record_gradients(loss):
    loss.backward()
model.zero_grad()
draw_graph(loss, show_grad=True)""",
    ),
]

NOTEBOOKS = {
    "01": ("01_autograd_from_scratch.ipynb", NB1),
    "02": ("02_two_circles.ipynb", NB2),
    "03": ("03_fashion_mnist.ipynb", NB3),
}


def make(cells: list) -> nbformat.NotebookNode:
    """A notebook from (kind, source) pairs."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    for i, (kind, src) in enumerate(cells):
        cell = (nbformat.v4.new_markdown_cell if kind == "md" else nbformat.v4.new_code_cell)(src)
        cell["id"] = f"cell-{i:02d}"  # stable ids: rebuilding changes only the outputs
        nb.cells.append(cell)
    return nb


def execute(nb: nbformat.NotebookNode, timeout: int = 900) -> nbformat.NotebookNode:
    """Run every cell in a scratch folder (nothing is written into the repository)."""
    env_path = os.environ.get("PYTHONPATH", "")
    os.environ["PYTHONPATH"] = str(ROOT) + (os.pathsep + env_path if env_path else "")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            NotebookClient(
                nb,
                timeout=timeout,
                kernel_name="python3",
                record_timing=False,
                resources={"metadata": {"path": tmp}},
            ).execute()
    finally:
        os.environ["PYTHONPATH"] = env_path
        if not env_path:
            del os.environ["PYTHONPATH"]
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write atomically."""
    from autograd_core.viz import atomic_write

    atomic_write(path, nbformat.writes(nb) + "\n")


def main(which: list[str]) -> None:
    """Build and execute the chosen notebooks (all by default)."""
    for key in which or list(NOTEBOOKS):
        name, cells = NOTEBOOKS[key]
        print(f"building {name} ...", flush=True)
        nb = execute(make(cells))
        write(nb, HERE / name)


if __name__ == "__main__":
    main(sys.argv[1:])
