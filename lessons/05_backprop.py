# %% [markdown]
# # Lesson 5 · Backpropagation through the whole autoencoder
#
# Lessons 2 to 4 gave every piece its own backward: Dense, the activations, the loss. Backpropagation is
# nothing more than calling them in reverse order, each handing its dL/d(input) to the layer before it as
# that layer's upstream gradient G. Here we do it by hand, layer by layer, on lesson 1's 10→5→10
# autoencoder, check every number against the equations, and read the gradient checker's table for the
# whole model. Then we plant a bug and learn where a whole-model check can and cannot point.
#
# The models here run the textbook kernels (`kernels="textbook"`, lesson 2), so every number comes from
# the plain functions of autoencoder_np/textbook/: the layers' from lessons 2 and 3, the loss's from
# lesson 4, and the model's own two, `model_forward` and `model_backward` (step 4).
#
# You need: lessons 1 to 4.

# %%
import numpy as np

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson
from autoencoder_np.plotting import gradcheck_figure

lesson = Lesson("05_backprop")

# %% [markdown]
# ## Step 1 · The model as a list of layers
# `Autoencoder.from_sizes([10, 5])` builds lesson 1's architecture: encoder Dense(10→5) + ReLU, decoder
# Dense(5→10) + Sigmoid. Put end to end, the autoencoder is four layers in a row.

# %%
lesson.step()
X = ae.datasets.founding_example(seed=1)
model = ae.Autoencoder.from_sizes(
    [10, 5], hidden_activation="relu", output_activation="sigmoid", seed=0, kernels="textbook"
)  # fmt: skip
layers = [*model.encoder.layers, *model.decoder.layers]
for number, layer in enumerate(layers, start=1):
    print(f"  layer {number}: {layer!r:<14} parameters: {[f'{k} {v.shape}' for k, v in layer.params.items()]}")

# %% [markdown]
# ## Step 2 · Forward, one layer at a time
# Each layer's output is the next one's input; each keeps in its cache what its backward will need
# (Dense: its input; ReLU: its input; Sigmoid: its output).

# %%
lesson.step()
x = X[:4]
signal = x
for number, layer in enumerate(layers, start=1):
    before = signal.shape
    signal = layer.forward(signal)
    cached = ", ".join(f"{k} {v.shape}" for k, v in layer.cache.items() if v is not None)
    print(f"  layer {number} {layer!r:<13} {before!s:<7} → {signal.shape!s:<7}  cache: {cached}")
x_hat = signal
forward_gap = float(np.max(np.abs(x_hat - model.forward(x))))
print(f"the same as model.forward(x): max gap {forward_gap:.1e}")

# %% [markdown]
# ## Step 3 · Backward, one layer at a time
# The loss gives the first upstream gradient, G₄ = dL/dx̂ = 2(x̂ − x)/n (lesson 4). Then, from the last
# layer to the first, with the equations of lessons 2 and 3 and only what the caches hold:
#
#     layer 4, Sigmoid (cache y = x̂):  G₃ = G₄ ⊙ y (1 − y)
#     layer 3, Dense (cache input h):  dL/dW₂ = hᵀ G₃,  dL/db₂ = Σ_batch G₃,
#                                      G₂ = G₃ W₂ᵀ
#     layer 2, ReLU (cache input a):   G₁ = G₂ ⊙ 1[a > 0]
#     layer 1, Dense (cache x):        dL/dW₁ = xᵀ G₁,  dL/db₁ = Σ_batch G₁,
#                                      dL/dx = G₁ W₁ᵀ
#
# We compute each line with NumPy from the caches and compare with the layer's own backward. The gaps are
# 0 where the kernel does the same operations in the same order (the textbook's do), and rounding, some
# 1e-19, where it reorders them.

# %%
lesson.step()
loss = ae.MSELoss()
L = loss.forward(x_hat, x)
G = loss.backward()
print(f"L = {L:.6f};  G = dL/dx̂: shape {G.shape}, equals 2(x̂ − x)/n: {np.allclose(G, 2 * (x_hat - x) / x.size)}")
dense1, relu, dense2, sigmoid = layers
by_equation = {}
y = sigmoid.cache["y"]
by_equation["layer 4 G₃"] = G * (y * (1 - y))
h = dense2.cache["x"]
by_equation["dL/dW₂"] = h.T @ by_equation["layer 4 G₃"]
by_equation["dL/db₂"] = by_equation["layer 4 G₃"].sum(axis=0)
by_equation["layer 3 G₂"] = by_equation["layer 4 G₃"] @ dense2.params["W"].T
by_equation["layer 2 G₁"] = by_equation["layer 3 G₂"] * (relu.cache["x"] > 0)
by_equation["dL/dW₁"] = dense1.cache["x"].T @ by_equation["layer 2 G₁"]
by_equation["dL/db₁"] = by_equation["layer 2 G₁"].sum(axis=0)
by_equation["layer 1 dL/dx"] = by_equation["layer 2 G₁"] @ dense1.params["W"].T

by_layer = {}
by_layer["layer 4 G₃"] = sigmoid.backward(G)
by_layer["layer 3 G₂"] = dense2.backward(by_layer["layer 4 G₃"])
by_layer["dL/dW₂"], by_layer["dL/db₂"] = dense2.grads["W"].copy(), dense2.grads["b"].copy()
by_layer["layer 2 G₁"] = relu.backward(by_layer["layer 3 G₂"])
by_layer["layer 1 dL/dx"] = dense1.backward(by_layer["layer 2 G₁"])
by_layer["dL/dW₁"], by_layer["dL/db₁"] = dense1.grads["W"].copy(), dense1.grads["b"].copy()
equation_gap = 0.0
for name, value in by_equation.items():
    gap = float(np.max(np.abs(value - by_layer[name])))
    equation_gap = max(equation_gap, gap)
    print(f"  {name:<14} shape {value.shape!s:<8} largest |entry| {np.abs(value).max():.3e}  gap {gap:.1e}")
dead = int((relu.cache["x"] <= 0).sum())
print(f"ReLU blocked {dead} of {relu.cache['x'].size} entries of G₂ (inputs ≤ 0): those got no gradient")

# %% [markdown]
# ## Step 4 · `model.backward` is that loop
# A model's backward walks its layers in reverse and feeds each the gradient the next one returned:
# `for layer in reversed(layers): G = layer.backward(G)`. Calling it once must give the same gradients
# as our four steps, in the model's `grads`, named by their place ("encoder.0.W", …).
#
# That loop is `ae.textbook.model_backward(layers, G)`, in autoencoder_np/textbook/model.py: five lines,
# beside `model_forward(layers, x)`, the forward loop of step 2. `model.backward` calls it (an
# autoencoder's layers are its encoder and its decoder, each a loop of its own), and so can we, on our
# list of four layers. It has no fast twin: it only hands arrays along; the work is in the layers.

# %%
lesson.step()
model.forward(x)
grad_input = model.backward(loss.backward())
names = {"encoder.0.W": "dL/dW₁", "encoder.0.b": "dL/db₁", "decoder.0.W": "dL/dW₂", "decoder.0.b": "dL/db₂"}
model_gap = max(float(np.max(np.abs(model.grads[key] - by_layer[ours]))) for key, ours in names.items())
model_gap = max(model_gap, float(np.max(np.abs(grad_input - by_layer["layer 1 dL/dx"]))))
for key, ours in names.items():
    print(f"  model.grads[{key!r}] {model.grads[key].shape} = our {ours}")
print(f"max gap between model.backward and our loop: {model_gap:.1e}")
model_grads = {key: model.grads[key].copy() for key in names}
function_grad_input = ae.textbook.model_backward(layers, loss.backward())
function_gap = max(float(np.max(np.abs(model.grads[key] - model_grads[key]))) for key in names)
function_gap = max(function_gap, float(np.max(np.abs(function_grad_input - grad_input))))
print(f"ae.textbook.model_backward(layers, G): max gap to model.backward {function_gap:.1e}")

# %% [markdown]
# ## Step 5 · The checker's table for the whole model
# `check_model(model, x, loss)` nudges every parameter of every layer (and every entry of x) and compares
# the slope of L with backward's gradient. One row per gradient:
# - **max rel err / median**: the worst and the typical relative error |a − n| / max(|a|, |n|) over the
#   entries (0 when the difference is below the rounding noise of the finite differences);
# - **worst index, analytic, numeric**: where the worst entry is and both values there;
# - **kinks**: entries whose nudge crossed ReLU's corner (not judged, lesson 3);
# - **verdict**: the band (below 1e-7 good; above 1e-2 probably wrong).
#
# The `x (input)` row is dL/dx: what this model would hand back if it were part of a bigger one.

# %%
lesson.step()
report = ae.gradcheck.check_model(model, x, ae.MSELoss())
print(report)
deep = ae.Autoencoder.from_sizes(
    [10, 8, 4], hidden_activation="tanh", output_activation="sigmoid", seed=1, kernels="textbook"
)  # fmt: skip
deep_report = ae.gradcheck.check_model(deep, x, ae.MSELoss())
print(f"\nany depth works the same: a 10→8→4→8→10 tanh autoencoder, {len(deep_report.rows)} rows:")
print(deep_report.summary())

# %% [markdown]
# ## Step 6 · A bug, and how to find it
# We replace the decoder's Sigmoid with one whose backward forgets the (1 − y) factor. The whole-model
# check fails, but look at *which* rows: every gradient computed after the bug in the backward pass is
# wrong, because the bad G₃ flows into everything below it. A whole-model check tells you *that*
# something is wrong. To find *where*, check each layer alone (lesson 2's `check_layer`, random G): only
# the guilty layer fails. `ae.gradcheck.check_model_layers(model, x)` runs that loop for you (each layer on
# the input it receives inside the model) and names the first failing layer by its place in the model.

# %%
lesson.step()


class ForgetfulSigmoid(ae.Sigmoid):
    """Sigmoid whose backward forgets the (1 − y) factor."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return grad_y * self.cache["y"]  # the bug: should be grad_y * y * (1 − y)


buggy = ae.Autoencoder(
    ae.Sequential([ae.Dense(10, 5, rng=1), ae.ReLU()]),
    ae.Sequential([ae.Dense(5, 10, rng=2), ForgetfulSigmoid()]),
    kernels="textbook",
)
buggy_report = ae.gradcheck.check_model(buggy, x, ae.MSELoss())
print(buggy_report)
print("\nEach layer alone, with its own input and a random upstream gradient:")
guilty = []
signal = x
for layer in [*buggy.encoder.layers, *buggy.decoder.layers]:
    alone = ae.gradcheck.check_layer(layer, signal)
    signal = layer.forward(signal)
    print(f"  {alone.summary()}")
    if not alone.passed:
        guilty.append(repr(layer))
print(f"the layers that fail alone: {guilty}")
layerwise = ae.gradcheck.check_model_layers(buggy, x)  # the same loop, done by the library
print(layerwise.summary())
lesson.save(
    gradcheck_figure({"10→5→10 autoencoder, correct": report, "sigmoid backward without (1 − y)": buggy_report}),
    "model_gradcheck.png",
)

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("layer-by-layer forward = model.forward", forward_gap == 0.0, f"gap {forward_gap:.1e}")
lesson.check("each layer's backward = its equation from the caches", equation_gap < 1e-15, f"gap {equation_gap:.1e}")
lesson.check("model.backward = the loop by hand", model_gap == 0.0, f"gap {model_gap:.1e}")
lesson.check("model.backward = ae.textbook.model_backward", function_gap == 0.0, f"gap {function_gap:.1e}")
lesson.check_gradients("the autoencoder passes the whole-model check", report)
lesson.check_gradients("a deeper tanh autoencoder passes too", deep_report)
failed_rows = [row.name for row in buggy_report.rows if not row.passed]
lesson.check("the planted bug fails every row below it", len(failed_rows) == len(buggy_report.rows), f"{failed_rows}")
lesson.check("checking layer by layer finds the one guilty layer", guilty == ["ForgetfulSigmoid()"], f"{guilty}")
lesson.check(
    "check_model_layers names it too",
    layerwise.first_failure == "decoder.1",
    f"first failure {layerwise.first_failure}",
)
lesson.finish()
