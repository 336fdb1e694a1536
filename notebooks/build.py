"""Write the notebooks 01-03 and 05-07 from the cells below and execute them, so that they
are committed with their outputs (figures inline).

    python notebooks/build.py            # all of them
    python notebooks/build.py 01 05 06   # some

The notebooks import the installed packages: run it with the project installed
(``pip install -e ".[test]"``), with that environment's Python.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from autograd_core.viz import atomic_write

HERE = Path(__file__).resolve().parent

SETUP = """\
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
    (
        "md",
        "The dotted line and the star mark the test result: a test loss close to the validation "
        "loss means the network has not learnt its training points by heart.",
    ),
    ("code", "plots.plot_history(history, title='two circles', test=[test_loss, test_acc])"),
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
    ("md", "The same as an animation, one step per frame:"),
    (
        "code",
        "Image(data=plots.animate_optimizer_paths(steps=30, dpi=56), format='gif')",
    ),
    (
        "md",
        """\
## Gradient descent on a 1-D cost

w ← w − α J′(w): each step goes down the slope of the tangent, by α times its slope, so the
steps shrink as the curve flattens towards the minimum. J′ comes from `backward`.""",
    ),
    ("code", "Image(data=plots.animate_gradient_descent(steps=10), format='gif')"),
    (
        "md",
        """\
## A single neuron, with its trained numbers

The first neuron of the first layer on one test point: z = w₁x₁ + w₂x₂ + b, a = relu(z).""",
    ),
    ("code", "plots.plot_neuron(model.layers[0], X_test[0])"),
    (
        "md",
        """\
## A layer in matrix form

The second layer on a batch of 32 examples, as the textbooks write it: one column per
example, Z = W·A_prev + b, A = g(Z). nn stores each example as a row (Z = X @ kernel + bias),
the same product transposed.""",
    ),
    ("code", "plots.plot_layer_matrices(model.layers[1], batch_size=32)"),
    (
        "md",
        """\
## Forward, then backward, layer by layer

One test point goes forward (each neuron shows its activation aˡ), the loss is computed, and
the gradients come back (each neuron shows δˡ = ∂L/∂zˡ, from δᴸ = ŷ − y at the output to the
first layer, through δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ g′(zˡ)).""",
    ),
    (
        "code",
        """\
frames = plots.backprop_frames(model, X_test[:1], y_test[:1])
y_hat = frames.a[-1][0, 0]
print(f"ŷ = {y_hat:.4f}, y = {y_test[0, 0]}, δ at the output = {frames.delta[-1][0, 0]:.4f}"
      f" = ŷ − y")
assert np.isclose(frames.delta[-1][0, 0], y_hat - y_test[0, 0], atol=1e-6)
Image(data=plots.animate_backprop(model, X_test[:1], y_test[:1], dpi=64), format="gif")""",
    ),
    (
        "md",
        """\
## The computation graph of the loss

The loss on a batch of 8 test points, the inputs named `X` and `y`, each Dense layer a cluster,
every tensor coloured by its gradient norm. Each layer is one fused operation here
(`linear_relu`); collapsed, each layer is one box listing its parameters.""",
    ),
    (
        "code",
        """\
X8 = Tensor(X_test[:8], name="X")
y8 = Tensor(y_test[:8].astype(np.float32), name="y")
loss = nn.losses.binary_crossentropy(y8, model(X8))
loss.name = "loss"
with ag.record_gradients(loss):
    loss.backward()
model.zero_grad()
draw_graph(loss, show_grad=True)""",
    ),
    ("code", "draw_graph(loss, show_grad=True, collapse_layers=True)"),
    (
        "md",
        """\
## The chain rule, op by op

Inside `nn.unfused()` each Dense layer records its three steps, `matmul`, `add` and its
activation, as the textbooks write them; the gradients are the same. On two points, the
walkthrough shows the gradient arriving at each op, the local derivative it applies, and what
it hands on: at the sigmoid, the arriving gradient times σ(1 − σ) gives (ŷ − y)/m.""",
    ),
    (
        "code",
        """\
with nn.unfused():
    loss = nn.losses.binary_crossentropy(y8[:2], model(X8[:2]))
loss.name = "loss"
ag.explain_backward(loss, max_values=2)""",
    ),
    ("code", "draw_graph(loss)"),
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
## Training: the log, one line per epoch, and the time

A tenth of the training images, drawn at random, is held out (`validation_split=0.1`): when
the validation loss stops falling while the training loss still does, the network starts to
learn its training images by heart. The log is one line per epoch (a bar redrawing itself
is for terminals only). The seconds depend on the machine and on what else runs on it
(numpy's matrix products do the work: about 0.2 GFLOP per batch of 128).""",
    ),
    (
        "code",
        """\
timer = EpochTimer()
start = time.perf_counter()
history = model.fit(train_images, train_labels, epochs=5, batch_size=128,
                    validation_split=0.1, seed=0, callbacks=[timer])
total = time.perf_counter() - start
print(f"seconds per epoch: {[round(t, 1) for t in timer.seconds]}, total {total:.1f} s")""",
    ),
    (
        "code",
        """\
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=0)
print(f"test accuracy: {test_acc:.4f}   (published MLP baselines: 0.87-0.89)")""",
    ),
    (
        "code",
        "plots.plot_history(history, title='Fashion-MNIST, 784-512-10', "
        "test=[test_loss, test_acc])",
    ),
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


# --- 05 and 06: the exercises and their solutions, from the same cells --------------------------

EXERCISE_SETUP = """\
%matplotlib inline
import numpy as np
from matplotlib.figure import Figure
import nn
from autograd_core import Tensor, check_manual_grad
np.set_printoptions(precision=4, suppress=True)
rng = np.random.default_rng(0)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))"""

# Each exercise: its text, the function given (written with Tensors), a first attempt at the
# gradient (wrong, as a student might write it), the right one, and the check.
EXERCISES = [
    {
        "md": """\
## (a) The sigmoid: σ′(z) = σ(z)(1 − σ(z))

σ(z) = 1 / (1 + e⁻ᶻ). Summed over a vector z, the gradient of Σ σ(zᵢ) is σ′ elementwise.
Derive σ′ with the chain rule: σ = u⁻¹ with u = 1 + e⁻ᶻ.""",
        "given": """\
z = rng.standard_normal(5)


def f(z):
    return z.sigmoid().sum()""",
        "wrong": """\
def my_grad(z):
    # d/dz u⁻¹ = -u⁻² du/dz, and du/dz = e⁻ᶻ
    return -np.exp(-z) / (1 + np.exp(-z)) ** 2""",
        "right": """\
def my_grad(z):
    # d/dz u⁻¹ = -u⁻² du/dz, and du/dz = -e⁻ᶻ (the chain rule once more, through -z):
    # e⁻ᶻ / (1 + e⁻ᶻ)² = σ(z) (1 − σ(z))
    s = sigmoid(z)
    return s * (1 - s)""",
        "check": "check_manual_grad(f, my_grad, [z])",
        "after": (
            "Your σ′ against the one `backward` computes, over z from −5 to 5:",
            """\
zs = np.linspace(-5, 5, 201)
t = Tensor(zs, requires_grad=True)
f(t).backward()
fig = Figure(figsize=(5.5, 3.2), layout="constrained")
ax = fig.subplots()
ax.plot(zs, sigmoid(zs), color="#999999", label="σ(z)")
ax.plot(zs, t.grad, lw=4, alpha=0.4, label="σ′(z) from backward")
ax.plot(zs, my_grad(zs), "--", label="your σ′(z)")
ax.set(xlabel="z")
ax.grid(alpha=0.3)
ax.legend(fontsize=8)
fig""",
        ),
    },
    {
        "md": """\
## (b) Binary cross-entropy through a sigmoid: ∂L/∂z = (ŷ − y)/m

L = −(1/m) Σ [y log ŷ + (1 − y) log(1 − ŷ)] with ŷ = σ(z), for m examples.""",
        "given": """\
m = 6
z = rng.standard_normal(m)  # the logits of m examples
y = np.array([0.0, 1.0, 1.0, 0.0, 1.0, 0.0])


def bce(z):
    y_hat = z.sigmoid()
    return -(y * y_hat.log() + (1 - y) * (1 - y_hat).log()).mean()""",
        "wrong": """\
def my_grad(z):
    # ∂L/∂ŷ · ∂ŷ/∂z = (ŷ − y) / (ŷ (1 − ŷ)) · ŷ (1 − ŷ) = ŷ − y
    return sigmoid(z) - y""",
        "right": """\
def my_grad(z):
    # ∂L/∂ŷ · ∂ŷ/∂z = (ŷ − y) / (ŷ (1 − ŷ)) · ŷ (1 − ŷ), and the mean brings 1/m
    return (sigmoid(z) - y) / m""",
        "check": "check_manual_grad(bce, my_grad, [z])",
    },
    {
        "md": """\
## (c) Softmax with cross-entropy: ∂L/∂z = ŷ − y

For one example with one-hot y: L = −Σⱼ yⱼ log ŷⱼ with ŷ = softmax(z).""",
        "given": """\
z = rng.standard_normal(4)  # the logits of one example
y = np.array([0.0, 0.0, 1.0, 0.0])  # one-hot: the true class is 2


def cross_entropy(z):
    return -(y * z.log_softmax()).sum()""",
        "wrong": """\
def my_grad(z):
    y_hat = np.exp(z) / np.exp(z).sum()
    # L = -log ŷₖ for the true class k, and ∂(-log ŷₖ)/∂zⱼ = ŷⱼ − 1
    return y_hat - 1""",
        "right": """\
def my_grad(z):
    y_hat = np.exp(z) / np.exp(z).sum()
    # ∂(-log ŷₖ)/∂zⱼ = ŷⱼ − 1 for j = k, and ŷⱼ for the other classes: ŷ − y
    return y_hat - y""",
        "check": "check_manual_grad(cross_entropy, my_grad, [z])",
    },
    {
        "md": """\
## (d) One Dense layer: ∂L/∂W, ∂L/∂b, ∂L/∂x

a = tanh(x W + b) for a batch x of 8 examples (one per row, W of shape (inputs, units), as
`nn.Dense`'s kernel), and L = ½ Σ (a − T)². With δ = ∂L/∂z = (a − T) ⊙ (1 − a²):
∂L/∂x = δ Wᵀ, ∂L/∂W = xᵀ δ, ∂L/∂b = Σ over the examples of δ.""",
        "given": """\
x = rng.standard_normal((8, 3))
W = rng.standard_normal((3, 2))
b = rng.standard_normal(2)
T = rng.standard_normal((8, 2))  # the targets


def dense_loss(x, W, b):
    a = (x @ W + b).tanh()
    return 0.5 * ((a - T) ** 2).sum()""",
        "wrong": """\
def my_grad(x, W, b):
    a = np.tanh(x @ W + b)
    delta = (a - T) * (1 - a**2)  # ∂L/∂z, one row per example
    return delta @ W.T, delta.T @ x, delta.sum(axis=0)""",
        "right": """\
def my_grad(x, W, b):
    a = np.tanh(x @ W + b)
    delta = (a - T) * (1 - a**2)  # ∂L/∂z, one row per example
    return delta @ W.T, x.T @ delta, delta.sum(axis=0)  # xᵀ δ has W's shape (3, 2)""",
        "check": "check_manual_grad(dense_loss, my_grad, [x, W, b])",
    },
    {
        "md": """\
## (e) Backpropagation: the δ-rule on Higham & Higham's network

The 2-2-3-2 sigmoid network of Higham & Higham (SIAM Review, 2019) and its 10 points, one per
column: zˡ = Wˡ aˡ⁻¹ + bˡ, aˡ = σ(zˡ), cost C = (1/N) Σᵢ ½ ‖yᵢ − a⁴(xᵢ)‖². By hand:

- δ⁴ = (a⁴ − y) ⊙ σ′(z⁴) / N, the 1/N of the mean
- δˡ = (Wˡ⁺¹)ᵀ δˡ⁺¹ ⊙ σ′(zˡ), with σ′(z) = a (1 − a)
- ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ and ∂C/∂bˡ = δˡ, for each point: over the N points, summed""",
        "given": """\
X, labels = nn.datasets.higham_points()  # the paper's 10 points
X = X.astype(np.float64).T  # (2, 10): one column per point
Y = np.eye(2)[labels].T  # class A -> (1, 0), class B -> (0, 1)
N = X.shape[1]
r = np.random.default_rng(5000)  # weights and biases drawn as 0.5 randn, as in the paper
W2, b2 = 0.5 * r.standard_normal((2, 2)), 0.5 * r.standard_normal((2, 1))
W3, b3 = 0.5 * r.standard_normal((3, 2)), 0.5 * r.standard_normal((3, 1))
W4, b4 = 0.5 * r.standard_normal((2, 3)), 0.5 * r.standard_normal((2, 1))


def cost(W2, b2, W3, b3, W4, b4):
    a = Tensor(X)
    for W, b in ((W2, b2), (W3, b3), (W4, b4)):
        a = (W @ a + b).sigmoid()
    return (0.5 * ((Y - a) ** 2).sum(axis=0)).mean()""",
        "wrong": """\
def backprop(W2, b2, W3, b3, W4, b4):
    a1 = X
    a2 = sigmoid(W2 @ a1 + b2)
    a3 = sigmoid(W3 @ a2 + b3)
    a4 = sigmoid(W4 @ a3 + b4)
    d4 = (a4 - Y) * a4 * (1 - a4) / N
    d3 = (W4.T @ d4) * a3 * (1 - a3)
    d2 = (W3.T @ d3) * a2 * (1 - a2)
    # ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ (the product sums over the points), ∂C/∂bˡ = δˡ
    return d2 @ a1.T, d2, d3 @ a2.T, d3, d4 @ a3.T, d4""",
        "right": """\
def backprop(W2, b2, W3, b3, W4, b4):
    a1 = X
    a2 = sigmoid(W2 @ a1 + b2)
    a3 = sigmoid(W3 @ a2 + b3)
    a4 = sigmoid(W4 @ a3 + b4)
    d4 = (a4 - Y) * a4 * (1 - a4) / N
    d3 = (W4.T @ d4) * a3 * (1 - a3)
    d2 = (W3.T @ d3) * a2 * (1 - a2)
    # ∂C/∂Wˡ = δˡ (aˡ⁻¹)ᵀ (the product sums over the points); ∂C/∂bˡ: δˡ summed over them
    def sum_points(d):
        return d.sum(axis=1, keepdims=True)

    return d2 @ a1.T, sum_points(d2), d3 @ a2.T, sum_points(d3), d4 @ a3.T, sum_points(d4)""",
        "check": "check_manual_grad(cost, backprop, [W2, b2, W3, b3, W4, b4])",
    },
]


def exercise_cells(solutions: bool) -> list:
    """The cells of notebook 05 (first attempts, for the checker to explain) or 06 (the
    solutions)."""
    if solutions:
        intro = """\
# 6. Solutions: every hand-derived gradient, checked by the engine

The same five exercises as in notebook 05, with the right gradients: each check agrees with
`backward` and with finite differences. Compare each answer cell with the first attempt in
05 and with what the checker said about it."""
    else:
        intro = """\
# 5. Exercises: derive the gradient, let the engine check it

Each exercise gives a function written with Tensors (the engine differentiates it) and asks
for its gradient derived by hand, written with numpy. `check_manual_grad(f, my_grad, inputs)`
compares your gradient with `backward` and with central differences, and says which input and
element differ, the three values, by how much, and what the pattern suggests.

Each answer cell below holds a plausible **first attempt, with a mistake**: run the check, read
what it says, and correct the cell. The solutions are in notebook 06."""
    cells = [("md", intro), ("code", EXERCISE_SETUP)]
    for ex in EXERCISES:
        cells += [
            ("md", ex["md"]),
            ("code", ex["given"]),
            ("md", "Your gradient:" if not solutions else "The gradient:"),
            ("code", ex["right" if solutions else "wrong"]),
            ("code", ex["check"]),
        ]
        if "after" in ex:
            cells += [("md", ex["after"][0]), ("code", ex["after"][1])]
    return cells


NB7 = [
    (
        "md",
        """\
# 7. The compiled step, read as numpy

A training step does the same operations on every batch. `ag.compile` records them once and
replays the recorded numpy calls afterwards; `step.source()` prints the program it replays:
the forward pass, the backward pass and the update, as the numpy code one would write by
hand. Here we compile the two-circles step and read its source beside the textbook's
backpropagation formulas.""",
    ),
    (
        "code",
        "%matplotlib inline\n"
        + SETUP
        + """
import time
import matplotlib.pyplot as plt
import nn
from nn import Dense, Sequential
nn.set_seed(0)""",
    ),
    (
        "code",
        """\
X, y = nn.datasets.make_circles(512, noise=0.05, factor=0.5, seed=0)
X, y = X.astype(np.float32), y.reshape(-1, 1).astype(np.float32)

def two_circles():
    nn.set_seed(0)
    model = Sequential([
        Dense(4, input_dim=2, activation="relu"),
        Dense(6, activation="relu"),
        Dense(6, activation="relu"),
        Dense(4, activation="relu"),
        Dense(1, activation="sigmoid"),
    ])
    return model, nn.optim.Adam(model.parameters(), lr=0.01)

model, opt = two_circles()

def train_step(x, y):
    opt.zero_grad()
    loss = nn.losses.binary_crossentropy(y, model(x))
    loss.backward()
    opt.step()
    return loss

step = ag.compile(train_step)
print("first call (eager, traced):", float(step(X[:32], y[:32]).data))
print("second call (replayed):    ", float(step(X[32:64], y[32:64]).data))""",
    ),
    ("md", "## The program"),
    ("code", "print(step.source())"),
    (
        "md",
        """\
## Beside the formulas

With a sigmoid output and binary cross-entropy the textbooks derive ∂L/∂z = (ŷ − y)/m; the
program computes it in pieces: `g3` is the loss's derivative at ŷ, `g4 = g2 * g3` scales it
by 1/m, and `g5 * g6` multiplies by σ′(z) = ŷ(1 − ŷ) (`t5`, the output). Then, layer by
layer, backpropagation's three lines:

- δˡ = ((Wˡ⁺¹)ᵀ δˡ⁺¹) ⊙ σ′(zˡ): a line `g = g_next @ kernel.T` followed by
  `g * (t > 0)`, ReLU's derivative read from the layer's output;
- ∂C/∂Wˡ = (aˡ⁻¹)ᵀ δˡ: the lines `d_..._kernel = t.T @ g`;
- ∂C/∂bˡ = δˡ summed over the batch: `d_..._bias = g.sum(axis=0)`.

The last lines store the gradients in `.grad` and call the optimizer, whose step counter and
moments advance on every call. Running the source gives the same step:""",
    ),
    (
        "code",
        """\
eager_model, eager_opt = two_circles()
exec_model, exec_opt = two_circles()

def eager_step(x, y):
    eager_opt.zero_grad()
    loss = nn.losses.binary_crossentropy(y, eager_model(x))
    loss.backward()
    eager_opt.step()
    return loss

model, opt = two_circles()
step = ag.compile(train_step)
losses = {"eager": [], "compiled": []}
for i in range(0, 512, 32):
    xb, yb = X[i:i + 32], y[i:i + 32]
    losses["eager"].append(float(eager_step(xb, yb).data))
    losses["compiled"].append(float(step(xb, yb).data))
print("largest difference in loss:", max(abs(a - b) for a, b in zip(*losses.values())))
for p, q in zip(eager_model.parameters(), model.parameters()):
    assert np.allclose(p.data, q.data, atol=1e-6)
print("parameters equal; optimizer steps:", eager_opt.iterations, opt.iterations)""",
    ),
    ("md", "## Time per step"),
    (
        "code",
        """\
def per_step(fn, n=300):
    fn(X[:32], y[:32])
    start = time.perf_counter()
    for _ in range(n):
        fn(X[:32], y[:32])
    return (time.perf_counter() - start) / n * 1e6

eager_model, eager_opt = two_circles()
times = {"eager": per_step(eager_step), "compiled": per_step(step)}
for name, t in times.items():
    print(f"{name:>9}: {t:7.1f} µs per step")
fig, ax = plt.subplots(figsize=(5, 2.5))
ax.barh(list(times), list(times.values()), color=["tab:gray", "tab:blue"])
ax.set_xlabel("µs per training step (batch 32)")
ax.set_title("two circles: one Adam step")
plt.tight_layout()""",
    ),
    (
        "md",
        """\
`model.compile(..., jit=True)` does the same for `fit`, `evaluate` and `predict`: the History
equals the eager one.""",
    ),
    (
        "code",
        """\
histories = {}
for jit in (False, True):
    m, _ = two_circles()
    m.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"], jit=jit)
    histories[jit] = m.fit(X, y, epochs=20, batch_size=32, verbose=0).history
assert np.allclose(histories[False]["loss"], histories[True]["loss"], atol=1e-6)
plt.figure(figsize=(5, 3))
plt.plot(histories[False]["loss"], lw=4, alpha=0.4, label="eager")
plt.plot(histories[True]["loss"], "--", label="jit=True")
plt.xlabel("epoch"); plt.ylabel("loss"); plt.legend(); plt.tight_layout()""",
    ),
]


NOTEBOOKS = {
    "01": ("01_autograd_from_scratch.ipynb", NB1),
    "02": ("02_two_circles.ipynb", NB2),
    "03": ("03_fashion_mnist.ipynb", NB3),
    "05": ("05_exercises.ipynb", exercise_cells(solutions=False)),
    "06": ("06_solutions.ipynb", exercise_cells(solutions=True)),
    "07": ("07_compiled_step.ipynb", NB7),
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
    with tempfile.TemporaryDirectory() as tmp:
        NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            record_timing=False,
            resources={"metadata": {"path": tmp}},
        ).execute()
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    """Write atomically."""
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
