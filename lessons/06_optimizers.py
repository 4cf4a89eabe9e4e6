# %% [markdown]
# # Lesson 6 · Optimizers: SGD, momentum and Adam
#
# Backward gives the gradient g = dL/dθ of every parameter θ (lessons 2 to 5). The optimizer decides how
# far to move each θ against it. Three rules, each fixing a weakness of the one before:
#
#     SGD:       θ ← θ − lr · g
#     momentum:  u ← μ·u + g;                θ ← θ − lr · u
#     Adam:      m ← β₁·m + (1 − β₁)·g;      v ← β₂·v + (1 − β₂)·g²
#                m̂ = m / (1 − β₁ᵗ);          v̂ = v / (1 − β₂ᵗ)
#                θ ← θ − lr · m̂ / (√v̂ + ε)
#
# u is a running sum of past gradients; m and v are running means of g and g²; dividing by (1 − βᵗ), with
# t the step number, is Adam's *bias correction*.
#
# Each rule is one function in autoencoder_np/textbook/optimizers.py, `sgd_step` (with momentum) and
# `adam_step`, whose lines are the lines above; open it beside this lesson. An optimizer runs the kernel
# set of the model it steps (`model.kernels`), and every model here runs the textbook set.
#
# We run all three on a two-number problem we can draw, write one step of each by hand, look closely at
# Adam's bias correction at t = 1, and then race them on lesson 1's autoencoder.
#
# You need: lessons 1 and 2 (a training step; `params` and `grads`).

# %%
import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson
from autoencoder_np.plotting import loss_curve_figure

lesson = Lesson("06_optimizers")

# %% [markdown]
# ## Step 1 · A long, narrow valley
# f(w) = ½ (w₁² + 50 w₂²), with gradient (w₁, 50 w₂). Its minimum is at 0. It is 50 times steeper
# across (w₂) than along (w₁), like the loss surfaces of real networks. An optimizer only needs
# `parameters()`, so any layer works as its subject: a `Layer` holding w in its `params` and the gradient
# in its `grads` is enough.
#
# SGD's learning rate is capped by the steep direction: along w₂ one step multiplies w₂ by (1 − 50·lr),
# which grows in size once 50·lr > 2, that is lr > 0.04. Below the cap, the flat direction w₁ shrinks by
# only (1 − lr) per step: SGD crawls along the valley.

# %%
lesson.step()
CURVATURE = np.array([1.0, 50.0])
START = np.array([-4.5, 1.0])


class Valley(ae.Layer):
    """The valley as a one-parameter "layer": params["w"] is the point, grads["w"] its gradient."""

    kernels = "textbook"  # an optimizer stepping it runs ae.textbook.sgd_step and adam_step

    def __init__(self) -> None:
        super().__init__()
        self.params["w"] = START.copy()
        self.grads["w"] = np.zeros(2)

    def value(self) -> float:
        return float(0.5 * np.sum(CURVATURE * self.params["w"] ** 2))

    def compute_gradient(self) -> None:
        self.grads["w"] = CURVATURE * self.params["w"]


def descend(optimizer: ae.Optimizer, steps: int) -> tuple[np.ndarray, np.ndarray]:
    """Run ``steps`` steps from START; returns the path (steps + 1, 2) and f along it."""
    valley = Valley()
    path, values = [valley.params["w"].copy()], [valley.value()]
    for _ in range(steps):
        valley.compute_gradient()
        optimizer.step(valley)
        path.append(valley.params["w"].copy())
        values.append(valley.value())
    return np.array(path), np.array(values)


print(f"start w = {START}, f = {Valley().value():.2f}")
for lr in (0.02, 0.035, 0.045):
    _, values = descend(ae.SGD(lr=lr), 50)
    print(
        f"  SGD lr = {lr:<5}  after 50 steps f = {values[-1]:.3g}" + ("   ← above the cap 0.04: diverges" * (lr > 0.04))
    )
_, too_far = descend(ae.SGD(lr=0.045), 50)

# %% [markdown]
# ## Step 2 · Three paths through the valley
# SGD at lr = 0.035, just under its cap. Momentum (μ = 0.8) with a smaller lr = 0.02: the running sum u
# keeps growing along the valley, where the gradients agree from step to step, and cancels across it,
# where they flip sign. Adam (lr = 0.3) divides each coordinate's step by the size of its own recent
# gradients, so both directions move at about the same speed.

# %%
lesson.step()
steps = 100
runs = {
    "SGD lr=0.035": descend(ae.SGD(lr=0.035), steps),
    "momentum lr=0.02, μ=0.8": descend(ae.SGD(lr=0.02, momentum=0.8), steps),
    "Adam lr=0.3": descend(ae.Adam(lr=0.3), steps),
}
for name, (_, values) in runs.items():
    print(f"  {name:<24} f after 10, 50, 100 steps: {values[10]:.2e}  {values[50]:.2e}  {values[100]:.2e}")
fig = Figure(figsize=(12, 4.2), layout="constrained")
left, right = fig.subplots(1, 2, width_ratios=[1.6, 1])
g1, g2 = np.meshgrid(np.linspace(-5, 1.5, 300), np.linspace(-1.3, 1.3, 200))
left.contour(g1, g2, 0.5 * (g1**2 + 50 * g2**2), levels=np.geomspace(0.05, 60, 12), colors="lightgray")
for name, (path, values) in runs.items():
    line = left.plot(path[:, 0], path[:, 1], ".-", markersize=3, linewidth=1, label=name)[0]
    right.plot(values, color=line.get_color(), label=name)
left.plot(0, 0, "k*", markersize=10)
left.set_title(f"the first {steps} steps from w = ({START[0]}, {START[1]})")
left.set_xlabel("w₁ (flat direction)")
left.set_ylabel("w₂ (steep direction)")
left.legend(fontsize="small", loc="lower right")
right.set_yscale("log")
right.set_xlabel("step")
right.set_ylabel("f(w)")
right.set_title("f along the way")
right.grid(True, which="both", alpha=0.3)
lesson.save(fig, "bowl_paths.png")

# %% [markdown]
# ## Step 3 · One step of each, by hand
# From the start w = (−4.5, 1), the gradient is g = (−4.5, 50). We compute each rule's first step from
# the formulas at the top and compare with the optimizer's. Optimizers keep their state where you can
# read it: `opt.state["w"]` holds u (SGD with momentum) or m and v (Adam), and Adam's step count is `opt.t`.
#
# For each parameter, the optimizer's `step` calls `ae.textbook.sgd_step(p, g, u, lr=…, momentum=…)`,
# which returns the new p and u, or `ae.textbook.adam_step(p, g, m, v, t, lr=…)`, which returns the new
# p, m and v; then it writes them into the model's arrays. Called directly, the functions give the same
# steps.

# %%
lesson.step()
g = CURVATURE * START
lr = 0.1
by_hand = {
    "SGD": START - lr * g,
    "momentum (step 1: u = g)": START - lr * g,
}
sgd, momentum, adam = ae.SGD(lr=lr), ae.SGD(lr=lr, momentum=0.9), ae.Adam(lr=lr)
by_optimizer = {}
for name, optimizer in (("SGD", sgd), ("momentum (step 1: u = g)", momentum), ("Adam", adam)):
    valley = Valley()
    valley.compute_gradient()
    optimizer.step(valley)
    by_optimizer[name] = valley.params["w"].copy()
b1, b2, eps = adam.beta1, adam.beta2, adam.eps
m = (1 - b1) * g
v = (1 - b2) * g**2
m_hat, v_hat = m / (1 - b1**1), v / (1 - b2**1)
by_hand["Adam"] = START - lr * m_hat / (np.sqrt(v_hat) + eps)
print(f"g = {g}, lr = {lr}")
hand_gap = 0.0
for name in by_hand:
    gap = float(np.max(np.abs(by_hand[name] - by_optimizer[name])))
    hand_gap = max(hand_gap, gap)
    print(f"  {name:<26} by hand {by_hand[name]}  optimizer {by_optimizer[name]}  gap {gap:.1e}")
print(f"momentum's state u after step 1: {momentum.state['w']['velocity']} (= g)")
print(f"Adam's state after step 1: t = {adam.t}, m = {adam.state['w']['m']}, v = {adam.state['w']['v']}")
state_gap = float(np.max(np.abs(adam.state["w"]["m"] - m)) + np.max(np.abs(adam.state["w"]["v"] - v)))
zero = np.zeros(2)
by_function = {
    "SGD": ae.textbook.sgd_step(START, g, lr=lr)[0],
    "momentum (step 1: u = g)": ae.textbook.sgd_step(START, g, zero, lr=lr, momentum=0.9)[0],
    "Adam": ae.textbook.adam_step(START, g, zero, zero, 1, lr=lr)[0],
}
function_gap = max(float(np.max(np.abs(by_function[name] - by_optimizer[name]))) for name in by_function)
print(f"ae.textbook.sgd_step and adam_step, called directly: max gap {function_gap:.1e}")

# %% [markdown]
# ## Step 4 · Adam's bias correction at t = 1
# m and v start at 0, so early on they are too small: after one step m = (1 − β₁) g = 0.1 g and
# v = (1 − β₂) g² = 0.001 g². Dividing by (1 − β₁ᵗ) and (1 − β₂ᵗ) undoes exactly that shrinkage. At
# t = 1 it gives m̂ = g and v̂ = g², so the first step is lr · g / (|g| + ε) ≈ lr · sign(g): lr for every
# parameter, whether its gradient is 1e-4 or 1e4 (ε shows only when |g| is not much larger than ε).
# Without the correction the step would be lr · 0.1 / √0.001 ≈ 3.16 lr at t = 1, and up to 6.6 lr
# (at t = 12), for a constant gradient.
#
# A bug seen in real code divides by (1 − β₁) instead of (1 − β₁ᵗ). At t = 1 the two agree, so a test
# of the first step alone cannot catch it; at t = 2 they differ. Test step 2 as well.
#
# `adam_step` writes the corrections as the paper's Algorithm 1 does. Its fast twin, which `fit` runs by
# default (autoencoder_np/fast/optimizers.py), folds them into two numbers, as the paper suggests at the
# end of its section 2:
#
#     lr · m̂ / (√v̂ + ε) = lr_t · m / (√v + ε_t)
#     lr_t = lr · √(1 − β₂ᵗ) / (1 − β₁ᵗ),    ε_t = ε · √(1 − β₂ᵗ)
#
# That saves two passes over the arrays and rounds differently, by a few units in the last place: the
# two sets compute the same steps (tests/test_kernels.py; step 5 trains with both).

# %%
lesson.step()
first_step = by_optimizer["Adam"] - START
print(f"Adam's first step: {first_step} = −lr · sign(g) · {np.abs(first_step / lr)}")
uncorrected = -lr * m / (np.sqrt(v) + eps)
print(f"without the correction it would be {uncorrected}: {np.abs(uncorrected[0]) / lr:.3f} × lr")

wide = Valley()
wide.params["w"] = np.array([1e-4, 1e4])  # gradients of very different sizes
wide_adam = ae.Adam(lr=lr)
measured = []
for _ in range(1000):
    wide.grads["w"] = np.array([1e-4, 1e4])  # a constant gradient
    before = wide.params["w"].copy()
    wide_adam.step(wide)
    measured.append(np.abs(wide.params["w"] - before) / lr)
measured = np.array(measured)
t = np.arange(1, 1001)
without = (1 - b1**t) / np.sqrt(1 - b2**t)
expected = np.array([1e-4, 1e4]) / (np.array([1e-4, 1e4]) + eps)  # |g| / (|g| + ε): ε shows at tiny g
wrong_at_2 = (1 - b1**2) / (1 - b1)  # m after 2 steps of a constant g is (1 − β₁²) g; v̂ = g² is right
print(f"constant gradients 1e-4 and 1e4: step/lr at t = 1, 2, 10, 1000: {measured[[0, 1, 9, 999], 0]} and", end=" ")
print(f"{measured[[0, 1, 9, 999], 1]}")
print(f"the step is lr · |g| / (|g| + ε): ε = {eps:g} shows when |g| = 1e-4 ({expected[0]:.6f})")
print(f"uncorrected step/lr at t = 1, 10, 100, 1000: {without[[0, 9, 99, 999]]}; largest {without.max():.2f}")
print(f"dividing m by (1 − β₁) instead of (1 − β₁ᵗ): step/lr at t = 2 is {wrong_at_2:.2f} instead of 1")
fig = Figure(figsize=(6.5, 4), layout="constrained")
ax = fig.add_subplot()
ax.plot(t, without, label="no bias correction: (1 − β₁ᵗ)/√(1 − β₂ᵗ)")
ax.plot(t, measured[:, 0], "o", markersize=3, markevery=0.05, label="library Adam (corrected), gradient 1e-4")
ax.plot(t, measured[:, 1], "x", markersize=4, markevery=0.07, label="library Adam (corrected), gradient 1e4")
ax.set_xscale("log")
ax.set_xlabel("step t")
ax.set_ylabel("step size / lr")
ax.set_title("Adam under a constant gradient: step size per step")
ax.grid(True, which="both", alpha=0.3)
ax.legend(fontsize="small")
lesson.save(fig, "adam_bias_correction.png")

# %% [markdown]
# ## Step 5 · The race on the founding example
# Lesson 1's 10→5→10 autoencoder, the same initial weights and the same batches for every optimizer.
# Its gradients are small (about 1e-2, lesson 1, step 6), and SGD's step is lr · g, so SGD with Adam's
# lr = 1e-3 barely moves; SGD needs lr ≈ 1. Adam's step is about lr whatever the gradient's size, which
# is why one default (1e-3) works for many problems, and also why a larger lr (1e-2) is faster here.
# Momentum with lr = 0.1 and μ = 0.9 moves like SGD with lr = 1: once u has built up over steps with
# similar gradients, u ≈ g / (1 − μ) = 10 g. Their two curves lie on top of each other.
#
# The race runs on the textbook kernels. Last, we train Adam lr=1e-2 again on the default kernels (the
# fast ones, which `demo` runs): after all those steps its losses still agree to rounding
# (tests/test_trajectories.py proves the same over 100 epochs of lesson 1's model).

# %%
lesson.step()
X = ae.datasets.founding_example(seed=1)
epochs = lesson.pick(full=300, fast=100)
contenders = {
    "SGD lr=1e-3": ae.SGD(lr=1e-3),
    "SGD lr=1": ae.SGD(lr=1.0),
    "momentum lr=0.1, μ=0.9": ae.SGD(lr=0.1, momentum=0.9),
    "Adam lr=1e-3": ae.Adam(lr=1e-3),
    "Adam lr=1e-2": ae.Adam(lr=1e-2),
}
curves = {}
for name, optimizer in contenders.items():
    model = ae.Autoencoder.from_sizes([10, 5], seed=1, kernels="textbook")
    curves[name] = model.fit(X, epochs=epochs, batch_size=32, optimizer=optimizer, seed=1, verbose=0)["loss"]
    print(f"  {name:<24} loss: epoch 1 {curves[name][0]:.4f}, epoch {epochs} {curves[name][-1]:.4f}")
default_model = ae.Autoencoder.from_sizes([10, 5], seed=1)  # no kernels chosen: the default set
default_curve = default_model.fit(X, epochs=epochs, batch_size=32, optimizer=ae.Adam(lr=1e-2), seed=1, verbose=0)
sets_gap = float(np.max(np.abs(np.array(default_curve["loss"]) - curves["Adam lr=1e-2"])))
print(f"Adam lr=1e-2 on the default ({default_model.kernels!r}) kernels: losses within {sets_gap:.1e} of these")
lesson.save(
    loss_curve_figure(
        curves, title=f"{epochs} epochs from the same start", references={"always predict 0.5 (1/12)": 1 / 12}
    ),
    "optimizers.png",
)

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check(
    "SGD above its cap diverges in the valley", too_far[-1] > too_far[0], f"f: {too_far[0]:.1f} → {too_far[-1]:.3g}"
)
f_sgd, f_momentum, f_adam = (runs[name][1][-1] for name in runs)
lesson.check("momentum beats SGD in the valley", f_momentum < f_sgd / 100, f"{f_momentum:.1e} vs {f_sgd:.1e}")
lesson.check("Adam beats SGD in the valley", f_adam < f_sgd / 10, f"{f_adam:.1e} vs {f_sgd:.1e}")
lesson.check("every first step matches its formula", hand_gap < 1e-15, f"max gap {hand_gap:.1e}")
lesson.check("the optimizers' steps are the textbook functions'", function_gap == 0.0, f"max gap {function_gap:.1e}")
lesson.check("Adam's state holds m and v as written", state_gap < 1e-15, f"gap {state_gap:.1e}")
lesson.check("Adam's first step is lr · sign(g)", np.allclose(np.abs(first_step), lr, rtol=1e-6), f"{first_step}")
lesson.check(
    "with a constant gradient every Adam step is lr · |g|/(|g| + ε), at any gradient size",
    np.allclose(measured, expected, rtol=1e-9), f"step/lr in [{measured.min():.6f}, {measured.max():.6f}]",
)  # fmt: skip
lesson.check(
    "without the correction the first step is 3.16 lr", abs(abs(uncorrected[0]) / lr - 0.1 / 0.001**0.5) < 1e-6
)
lesson.check(
    "and up to 6.6 lr, at t = 12",
    round(without.max(), 1) == 6.6 and np.argmax(without) + 1 == 12,
    f"{without.max():.2f} lr at t = {np.argmax(without) + 1}",
)
lesson.check("the (1 − β₁) bug shows at t = 2", abs(wrong_at_2 - 1.9) < 1e-12, f"{wrong_at_2:.2f} × lr")
finals = {name: values[-1] for name, values in curves.items()}
lesson.check("every optimizer lowered the loss", all(v[-1] < v[0] for v in curves.values()))
lesson.check("the default kernels train Adam to the same losses", sets_gap < 1e-12, f"max gap {sets_gap:.1e}")
sgd_1, momentum_01 = finals["SGD lr=1"], finals["momentum lr=0.1, μ=0.9"]
lesson.check(
    "momentum lr=0.1, μ=0.9 moves like SGD lr=1",
    abs(sgd_1 - momentum_01) < 0.02 * sgd_1,
    f"{momentum_01:.4f} vs {sgd_1:.4f}",
)
lesson.check(
    "SGD at Adam's lr barely moves",
    curves["SGD lr=1e-3"][0] - finals["SGD lr=1e-3"] < 0.1 * (curves["Adam lr=1e-3"][0] - finals["Adam lr=1e-3"]),
)
lesson.check("Adam lr=1e-2 ends lowest", min(finals, key=finals.get) == "Adam lr=1e-2", f"{finals['Adam lr=1e-2']:.4f}")
lesson.finish()
