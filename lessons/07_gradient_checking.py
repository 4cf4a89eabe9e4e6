# %% [markdown]
# # Lesson 7 · Gradient checking itself
#
# Lessons 2 and 5 trusted finite differences as the witness against which every backward pass is judged.
# Here we judge the witness. A difference quotient has two errors that pull in opposite directions, so
# the step h has a best value, and that value depends on the precision of the arithmetic. We measure
# both errors, see why checks run in float64, meet two better witnesses (the complex step and Richardson
# extrapolation), and learn to read a relative error: its bands, the rounding-noise floor below which a
# difference means nothing, and kinks. Then two planted bugs and the hints the checker gives for them.
# Last, the same checks inside your own test suite: assertions for pytest, and hypothesis drawing the
# inputs.
#
# You need: lessons 2 to 5 (central differences, relative error, `check_layer`, kinks, float32).

# %%
import textwrap

import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson
from autoencoder_np.plotting import eps_sweep_figure

lesson = Lesson("07_gradient_checking")

# %% [markdown]
# ## Step 1 · Two errors in one difference quotient
# Take f = tanh, whose derivative we know exactly: f′ = 1 − tanh² (lesson 3). Near x a smooth function is
# its Taylor series, f(x ± h) = f(x) ± h f′(x) + h² f″(x)/2 ± h³ f‴(x)/6 + …; subtract the two and divide
# by 2h: the even terms cancel and
#
#     (f(x + h) − f(x − h)) / 2h = f′(x) + f‴(x) h²/6 + …
#     truncation error ≈ |f‴| h²/6
#
# so a smaller h is better, until rounding takes over. Each computed f is off by up to half a unit in the
# last place, ε·|f|/2, with ε the *machine epsilon* (the gap between 1 and the next number: 2.2e-16 in
# float64, 1.2e-7 in float32). The subtraction keeps those errors while the difference itself shrinks
# with h, and dividing by 2h blows them up:
#
#     rounding error ≲ ε |f| / 2h
#
# The sum is smallest near h ≈ ε^(1/3), where the error is about ε^(2/3). We measure the relative error
# |numeric − f′| / |f′| at 101 points x in [0.5, 1] for each h, in float64 and in float32, and print the
# median, the worst, and the estimate (truncation + rounding) from the two formulas.
#
# Read down a column: the error falls as h² (two decades per decade of h), then rises as 1/h. The estimate
# bounds the worst case; typical errors are smaller, as rounding errors partly cancel. In float32, from
# h ≈ 1e-8 on, x + h rounds to x itself: the numeric derivative is 0 and the relative error exactly 1.

# %%
lesson.step()
points = np.linspace(0.5, 1.0, 101)
t = np.tanh(points)
exact = 1 - t**2
third = -2 * (1 - t**2) * (1 - 3 * t**2)  # f‴ of tanh
steps = 10.0 ** -np.arange(1, 13)


def central(x: np.ndarray, h: float, dtype: type) -> np.ndarray:
    """(f(x + h) − f(x − h)) / 2h for f = tanh, every operation in ``dtype``."""
    x, h = x.astype(dtype), dtype(h)
    return ((np.tanh(x + h) - np.tanh(x - h)) / (dtype(2) * h)).astype(np.float64)


print(f"{'':>7} {'float64':^32} {'float32':^32}")
print(f"{'h':>7}" + f" {'median':>10} {'worst':>10} {'estimate':>10}" * 2)
typical = {np.float64: [], np.float32: []}
for h in steps:
    row = f"{h:>7.0e}"
    for dtype in (np.float64, np.float32):
        errors = np.abs(central(points, h, dtype) - exact) / exact
        estimate = np.max((np.abs(third) * h**2 / 6 + np.finfo(dtype).eps * t / (2 * h)) / exact)
        typical[dtype].append(float(np.median(errors)))
        row += f" {np.median(errors):>10.1e} {errors.max():>10.1e} {estimate:>10.1e}"
    print(row)
best = {dtype: float(steps[int(np.argmin(errors))]) for dtype, errors in typical.items()}
for dtype in (np.float64, np.float32):
    eps = np.finfo(dtype).eps
    print(
        f"{np.dtype(dtype).name}: ε = {eps:.1e}; best h {best[dtype]:.0e} (ε^(1/3) = {eps ** (1 / 3):.0e}), "
        f"median error there {min(typical[dtype]):.0e} (ε^(2/3) = {eps ** (2 / 3):.0e})"
    )

# %% [markdown]
# ## Step 2 · The eps sweep of a layer
# The same two errors show in any gradient check. `ae.gradcheck.eps_sweep()` checks dL/dx of a small
# layer (Dense(4→3) then Tanh, L = Σ G ⊙ y with a random G) at 23 steps from 1e-1 to 1e-12, in float64
# and in float32, and reports the relative error of the numeric gradient against backward's (which is
# right: lesson 5 checked it). The step is relative: h = eps · max(1, |x|). On the log-log plot each
# error is a straight line: truncation falls with slope 2 to the right, rounding rises with slope 1 to
# the left; the float32 rounding line sits ε₃₂/ε₆₄ ≈ 5·10⁸ times higher. From eps ≈ 1e-8 on, float32 has
# no number between x and x + h at all: x + h rounds to x, the numeric gradient is 0, the error is 1.

# %%
lesson.step()
sweep = ae.gradcheck.eps_sweep(seed=0)
print(sweep)
k_default = int(np.argmin(np.abs(np.log(sweep.eps / ae.gradcheck.DEFAULT_EPS))))
central64 = sweep.errors["central float64"]
central32 = sweep.errors["central float32"]
best64, best32 = sweep.best("central float64"), sweep.best("central float32")

fig = eps_sweep_figure(sweep, title="one layer's dL/dx: truncation (right) against rounding (left)")
ax = fig.axes[0]
anchor_trunc, anchor_round = int(np.argmin(np.abs(sweep.eps - 1e-2))), int(np.argmin(np.abs(sweep.eps - 1e-9)))
truncation = central64[anchor_trunc] * (sweep.eps / sweep.eps[anchor_trunc]) ** 2
rounding64 = central64[anchor_round] * sweep.eps[anchor_round] / sweep.eps
rounding32 = rounding64 * np.finfo(np.float32).eps / np.finfo(np.float64).eps
for line, label, style, where in (
    (truncation, "truncation ∝ h²", (0, (4, 2)), truncation > rounding64 / 30),
    (rounding64, "rounding ∝ ε/h, float64", (0, (1, 2)), rounding64 > truncation / 30),
    (rounding32, "rounding ∝ ε/h, float32 (ε 5·10⁸× larger)", (0, (4, 1, 1, 1)), rounding32 > truncation / 30),
):
    visible = where & (line > 1e-17) & (line < 3)
    ax.plot(sweep.eps[visible], line[visible], color="black", linestyle=style, linewidth=1, label=label)
ax.set_ylim(1e-17, 10)
ax.legend(fontsize="small", loc="center left", bbox_to_anchor=(1.01, 0.5))
lesson.save(fig, "eps_sweep.png")

# %% [markdown]
# ## Step 3 · Why checks run in float64
# A backward pass is right or wrong by a formula, not by a precision, so the check should be as exact as
# the arithmetic allows. In float32 the best a central difference can do is about ε₃₂^(2/3) ≈ 2e-5: a
# correct layer can never look better than "fine with kinks". And at float64's step, 6e-6, float32's
# rounding error is about ε₃₂/h ≈ 2e-2: a correct layer looks "probably wrong" (lesson 2's bands; step 5
# reads them closely).
# So the checker copies a float32 layer to float64 before it checks it (the report's note says so); the
# float32 layer runs the same code, so proving the float64 copy proves it.

# %%
lesson.step()
print(f"float64 at the default eps {ae.gradcheck.DEFAULT_EPS:.0e}: relative error {central64[k_default]:.1e}")
print(f"float32 at the same eps: {central32[k_default]:.1e}, the band '{ae.gradcheck.band(central32[k_default])}'")
print(f"float32 at its best eps {best32[0]:.0e}: {best32[1]:.1e}, the band '{ae.gradcheck.band(best32[1])}'")
layer32 = ae.Sequential([ae.Dense(4, 3, rng=0, dtype=np.float32), ae.Tanh()])
x = np.random.default_rng(1).uniform(-2, 2, (5, 4))
report32 = ae.gradcheck.check_layer(layer32, x)
print(report32.summary())
for note in report32.all_notes:
    print(f"note: {note}")

# %% [markdown]
# ## Step 4 · Two better witnesses: the complex step and Richardson
# **Complex step.** Let i be the imaginary unit (i² = −1). For a function that works on complex numbers
# with the same formulas as on real ones, step 1's series with ih in place of h gives
#
#     f(x + ih) = f(x) + ih f′(x) − h² f″(x)/2 − ih³ f‴(x)/6 + …
#     so  f′(x) ≈ Im f(x + ih) / h
#
# with truncation ∝ h² and no subtraction at all, hence no rounding blow-up: h = 1e-20 gives f′ to the
# last digit. The catch: the code must be *complex-safe*. |x| is not (it is not a smooth function of a
# complex x), so our overflow-free sigmoid of lesson 3, built on e^(−|x|), gives wrong complex steps.
# The checker runs central differences beside it and trusts them where the two disagree, with a note.
#
# **Richardson extrapolation.** The central difference D(h) = f′ + c h² + O(h⁴). Then D(h/2) = f′ + c h²/4
# + …, and (4 D(h/2) − D(h)) / 3 cancels the h² term: truncation O(h⁴), so a larger h (1e-3) reaches
# ~1e-13 before rounding bites.

# %%
lesson.step()
complex_error = float(np.max(np.abs(np.tanh(points + 1e-20j).imag / 1e-20 - exact) / exact))
h = 1e-3
richardson = (4 * central(points, h / 2, np.float64) - central(points, h, np.float64)) / 3
richardson_error = float(np.max(np.abs(richardson - exact) / exact))
central_best, central_at_h = min(typical[np.float64]), typical[np.float64][2]
print(f"complex step, h = 1e-20: worst relative error {complex_error:.1e} (central at its best h: {central_best:.0e})")
print(f"Richardson, h = 1e-3:    worst relative error {richardson_error:.1e} (central at h = 1e-3: {central_at_h:.0e})")
best_complex, best_richardson = sweep.best("complex step"), sweep.best("richardson float64")
print(
    f"on the layer (step 2): complex step {best_complex[1]:.0e}, "
    f"Richardson {best_richardson[1]:.0e} at eps {best_richardson[0]:.0e}"
)
tanh_report = ae.gradcheck.check_layer(ae.Tanh(), x, method="complex-step")
sigmoid_report = ae.gradcheck.check_layer(ae.Sigmoid(), x, method="complex-step")
print(tanh_report.summary())
print(sigmoid_report.summary())
for note in sigmoid_report.all_notes:
    print(f"note: {note}")


# %% [markdown]
# ## Step 5 · Relative error, and its bands
# A difference |a − n| of 1e-6 is huge for a gradient of size 1e-6 and nothing for one of size 1e3. The
# relative error |a − n| / max(|a|, |n|) does not care about the size: scale L by a million and the
# absolute errors grow a millionfold while the relative ones stay put. The CS231n course reads it in
# bands, which the checker prints as the verdict:
#
#     > 1e-2        probably wrong     a wrong formula
#     1e-2 … 1e-4   uncomfortable      a small mistake, or float32 rounding
#     1e-4 … 1e-7   fine with kinks    acceptable only where there are kinks
#     < 1e-7        good               correct
#
# The checker itself passes a row when every relative error is ≤ 1e-6 (`rtol`).

# %%
lesson.step()
layer = ae.Sequential([ae.Dense(4, 3, rng=0), ae.Tanh()])
G = np.random.default_rng(2).standard_normal((5, 3))


def numeric_dx(target: ae.Layer, x: np.ndarray, G: np.ndarray, h: float, dtype: type = np.float64) -> np.ndarray:
    """Central differences of L = Σ G ⊙ target(x) in every entry of x, with every number in ``dtype``."""
    target, x, G = ae.gradcheck.copy_as(target, dtype), x.astype(dtype), G.astype(dtype)
    grad = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        step = dtype(h * max(1.0, abs(float(x[index]))))
        original = x[index]
        x[index] = original + step
        up = np.sum(G * target.forward(x))
        x[index] = original - step
        down = np.sum(G * target.forward(x))
        x[index] = original
        grad[index] = float((up - down) / (dtype(2) * step))
    return grad


def relative_errors(a: np.ndarray, n: np.ndarray) -> np.ndarray:
    """|a − n| / max(|a|, |n|) entry by entry (0 where both are 0), as in lesson 2."""
    scale = np.maximum(np.abs(a), np.abs(n))
    return np.divide(np.abs(a - n), scale, out=np.zeros_like(scale), where=scale > 0)


def analytic_dx(target: ae.Layer, x: np.ndarray, G: np.ndarray) -> np.ndarray:
    target.forward(x)
    return target.backward(G)


H = ae.gradcheck.DEFAULT_EPS
for scale in (1.0, 1e6):
    a = analytic_dx(layer, x, scale * G)
    n = numeric_dx(layer, x, scale * G, H)
    worst_absolute, worst_relative = np.max(np.abs(a - n)), relative_errors(a, n).max()
    print(f"L scaled by {scale:.0e}: max |a − n| {worst_absolute:.1e}, max relative {worst_relative:.1e}")
for value in (0.3, 3e-3, 3e-6, 3e-9):
    print(f"  relative error {value:.0e}: {ae.gradcheck.band(value)}")

# %% [markdown]
# ## Step 6 · The noise floor: tiny gradients
# Relative error has one blind spot: entries whose true gradient is tiny. Make the Dense layer's third
# input row of W a billion times smaller, so dL/dx₃ is about 1e-9. Rounding makes each numeric derivative
# wrong by about ε·S/h, where S is the size of L's terms (here about 10): 2.2e-16 · 10 / 6e-6 ≈ 4e-10.
# That is a large part of 1e-9, so the relative errors of these entries reach 0.1 or more, "probably
# wrong" for a correct layer. The checker knows the size of this noise: it computes S from L, the inputs
# and the gradients, and counts any |a − n| below 10·ε·S/h as a relative error of 0. That is what the
# "0.00e+00" in its tables means: nothing measurable is wrong.

# %%
lesson.step()
tiny = ae.Sequential([ae.Dense(4, 3, rng=0), ae.Tanh()])
tiny.layers[0].params["W"][2] *= 1e-9
tiny_errors = relative_errors(analytic_dx(tiny, x, G), numeric_dx(tiny, x, G, H))
print("our relative errors of dL/dx (column 3 is the tiny one):", tiny_errors, sep="\n")
tiny_worst, others_worst = tiny_errors[:, 2].max(), np.delete(tiny_errors, 2, axis=1).max()
print(f"column 3: up to {tiny_worst:.1e} ({ae.gradcheck.band(tiny_worst)}); the others ≤ {others_worst:.0e}")
tiny_report = ae.gradcheck.check_layer(tiny, x, grad_y=G)
print(tiny_report)

# %% [markdown]
# ## Step 7 · Kinks
# ReLU has a corner at 0 (lesson 3). When an input lies within ±h of 0, the difference quotient straddles
# the corner and measures the average of the two slopes: at x = 0 exactly, (relu(h) − relu(−h)) / 2h =
# 1/2, while backward says 0 (or 1). The relative error is ~1 for a correct layer. A layer with kinks
# declares them (`kinks = (0.0,)`) and keeps its input in `cache["x"]`; the checker then sees which entries
# cross a kink when nudged, counts them and does not judge them. Take the declaration away and the same
# correct ReLU fails.

# %%
lesson.step()
x_kink = np.array([[0.0, 1e-7, -2e-6, 0.5, -0.3, 1.2]])
G_kink = np.ones_like(x_kink)
kink_errors = relative_errors(analytic_dx(ae.ReLU(), x_kink, G_kink), numeric_dx(ae.ReLU(), x_kink, G_kink, H))
print(f"x             = {[float(v) for v in x_kink.ravel()]}  (h = {H:.0e})")
print(f"numeric dL/dx = {numeric_dx(ae.ReLU(), x_kink, G_kink, H).ravel()}")
print(f"backward      = {analytic_dx(ae.ReLU(), x_kink, G_kink).ravel()}")
kink_report = ae.gradcheck.check_layer(ae.ReLU(), x_kink)
print(kink_report.summary())


class UndeclaredReLU(ae.ReLU):
    """A correct ReLU that does not declare its kink."""

    kinks = ()


undeclared_report = ae.gradcheck.check_layer(UndeclaredReLU(), x_kink)
print(undeclared_report.summary())

# %% [markdown]
# ## Step 8 · Planted bugs, and the checker's hints
# When a row fails, the checker looks for the pattern of a known mistake and prints it as a `hint:` line
# with the numbers behind it (docs/gradcheck.md lists them). Two bugs:
#
# - a Tanh whose backward has the sign wrong: analytic/numeric = −1 everywhere;
# - a Dense whose backward never writes dL/db. The checker fills every gradient with NaN before calling
#   backward, so a gradient nobody wrote shows up as NaN instead of as a stale number from an earlier call.
#
# The command line does the same for a file of yours: `python -m autoencoder_np gradcheck my.py:MyLayer`.

# %%
lesson.step()


class SignSlipTanh(ae.Tanh):
    """Tanh with the sign of its derivative wrong."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        return -grad_y * (1 - self.cache["y"] ** 2)  # the bug: should be +grad_y ⊙ (1 − y²)


class ForgetsBias(ae.Dense):
    """Dense whose backward never writes grads["b"]."""

    def backward(self, grad_y: np.ndarray) -> np.ndarray:
        self.grads["W"] = self.cache["x"].T @ grad_y  # the bug: no self.grads["b"] = grad_y.sum(axis=0)
        return grad_y @ self.params["W"].T


sign_report = ae.gradcheck.check_layer(SignSlipTanh(), x)
print(sign_report)
bias_report = ae.gradcheck.check_layer(ForgetsBias(4, 3, rng=0), x)
print(bias_report)
G_x = np.random.default_rng(3).standard_normal(x.shape)  # a Tanh's output has x's shape
sign_errors = relative_errors(analytic_dx(SignSlipTanh(), x, G_x), numeric_dx(SignSlipTanh(), x, G_x, H))

# %% [markdown]
# ## Step 9 · Every case on one picture
# Each column holds the relative errors of one check, entry by entry (computed as in step 5, without the
# noise floor), against the four bands. Under each column: what the checker says.

# %%
lesson.step()
kink_entries = kink_report["x (input)"].kinks.ravel()
layer_dx = analytic_dx(layer, x, G)
cases = {
    "float64\nh = 6e-6\n→ PASS": relative_errors(layer_dx, numeric_dx(layer, x, G, H)),
    "float32\nh = 6e-6\n→ upcast, PASS": relative_errors(layer_dx, numeric_dx(layer, x, G, H, np.float32)),
    f"float32\nh = {best32[0]:.0e}\n→ upcast, PASS": relative_errors(
        layer_dx, numeric_dx(layer, x, G, best32[0], np.float32)
    ),
    "tiny dL/dx₃\n(W row × 1e-9)\n→ PASS: noise": tiny_errors,
    f"ReLU near 0\n(× = kink)\n→ PASS, {kink_report.n_kinks} kinks": kink_errors,
    "sign bug\n\n→ FAIL, hint: " + ", ".join(sign_report.hint_codes): sign_errors,
}
fig = Figure(figsize=(11, 5.5), layout="constrained")
ax = fig.add_subplot()
bands = (
    (1e-7, 1e-18, "good", "tab:green"),
    (1e-4, 1e-7, "fine with kinks", "darkgoldenrod"),
    (1e-2, 1e-4, "uncomfortable", "tab:orange"),
    (10, 1e-2, "probably wrong", "tab:red"),
)
for high, low, name, colour in bands:
    ax.axhspan(low, high, color=colour, alpha=0.12, linewidth=0)
    middle = np.sqrt(max(low, 1e-17) * min(high, 1.0))
    ax.text(1.01, middle, name, color=colour, transform=ax.get_yaxis_transform(), va="center", fontsize="small")
for position, errors in enumerate(cases.values()):
    values = np.maximum(errors.ravel(), 1e-17)
    jitter = position + np.linspace(-0.2, 0.2, values.size)
    kinked = kink_entries if errors is kink_errors else np.zeros(values.size, dtype=bool)
    ax.plot(jitter[~kinked], values[~kinked], "o", markersize=4, alpha=0.7, color="black")
    ax.plot(jitter[kinked], values[kinked], "x", markersize=8, color="tab:red")
ax.set_yscale("log")
ax.set_ylim(3e-18, 10)
ax.set_xlim(-0.6, len(cases) - 0.4)
ax.set_xticks(range(len(cases)), list(cases))
ax.set_ylabel("relative error per entry of dL/dx (1e-17: exact)")
ax.set_title("one correct layer in float64 and float32, three traps for a check, one bug; → what the checker says")
lesson.save(fig, "error_bands.png")

# %% [markdown]
# ## Step 10 · Your own layer, proven in your test suite
# In a test suite the checker's verdict comes as an assertion. `ae.testing.assert_layer_gradients(layer,
# x)` returns quietly when every row passes, and raises an `AssertionError` whose message is the
# checker's table and hints when one fails: what pytest prints for a failed test. Its siblings work
# alike: `assert_loss_gradients`, `assert_model_gradients`, and `assert_function_gradients` for a pair of
# plain functions, such as the textbook's `dense_forward` and `dense_backward` (lesson 2).
#
# One x proves little. A *property test* lets the library hypothesis draw many:
# `ae.testing.inputs_for(layer)` draws float64 inputs of the layer's shape (a batch of 3 to 6 rows),
# values in [−3, 3] kept 10⁻³ away from its declared kinks (step 7). After `from hypothesis import given`,
# the whole test is three lines:
#
# ```python
# @given(x=ae.testing.inputs_for(MyLayer(4, 3)))
# def test_my_layer(x):
#     ae.testing.assert_layer_gradients(MyLayer(4, 3), x)
# ```
#
# When an input fails, hypothesis *shrinks* it to the smallest failing example it can find. pytest calls
# each `test_…` function; here we call two ourselves, for a correct layer and for step 8's sign slip.
# They need hypothesis and pytest, the `testing` extra: `pip install -e ".[testing]"`. Without them this
# step says so and skips them.
#
# Last, without writing a test at all: the package adds a plugin to pytest, and
# `pytest --gradcheck-module my_layers.py` checks every layer and loss my_layers.py defines, each as a
# test of its own that fails with its diagnosis.

# %%
lesson.step()
mine = ae.Sequential([ae.Dense(4, 3, rng=0), ae.Tanh()], kernels="textbook")
quiet_report = ae.testing.assert_layer_gradients(mine, x)  # no error: it passed
print(f"assert_layer_gradients({mine!r}, x): no error")
W, b = mine.layers[0].params["W"], mine.layers[0].params["b"]
function_report = ae.testing.assert_function_gradients(ae.textbook.dense_forward, ae.textbook.dense_backward, x, W, b)
print("assert_function_gradients(ae.textbook.dense_forward, dense_backward, x, W, b): no error")
try:
    ae.testing.assert_layer_gradients(SignSlipTanh(), x)
    failure = ""
except AssertionError as error:
    failure = str(error)
print("assert_layer_gradients(SignSlipTanh(), x) raised AssertionError with the message:")
print(textwrap.indent(failure, "  | "))

try:
    import hypothesis
except ImportError:
    hypothesis = None
    print('\nhypothesis is not installed, so the property tests are skipped; to run them: pip install -e ".[testing]"')
if hypothesis is not None:
    settings = hypothesis.settings(
        max_examples=lesson.pick(full=100, fast=25), derandomize=True, database=None, deadline=None
    )
    drawn, failing = [], []

    @settings
    @hypothesis.given(x=ae.testing.inputs_for(mine))
    def test_mine(x: np.ndarray) -> None:
        drawn.append(x.shape)
        ae.testing.assert_layer_gradients(mine, x)

    @settings
    @hypothesis.given(x=ae.testing.inputs_for(SignSlipTanh()))
    def test_sign_slip(x: np.ndarray) -> None:
        failing.append(x)  # the last one is the example hypothesis shrank to
        ae.testing.assert_layer_gradients(SignSlipTanh(), x)

    test_mine()
    shapes = sorted(set(drawn))
    print(f"\ntest_mine: hypothesis drew {len(drawn)} inputs, shapes {shapes[0]} to {shapes[-1]}; every check passed")
    try:
        test_sign_slip()
        shrunk = None
    except AssertionError as error:
        shrunk = failing[-1]
        print(f"test_sign_slip failed; hypothesis shrank the failing input to x of shape {shrunk.shape}:")
        print(textwrap.indent("\n".join(getattr(error, "__notes__", [])), "  | "))

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("float64's best step is near ε^(1/3)", 1e-6 <= best[np.float64] <= 1e-4, f"best h {best[np.float64]:.0e}")
lesson.check("float32's best step is near ε^(1/3)", 1e-3 <= best[np.float32] <= 1e-2, f"best h {best[np.float32]:.0e}")
lesson.check("in float32 from h = 1e-8 on the relative error is 1", np.all(np.array(typical[np.float32][7:]) == 1))
lesson.check("the layer's float64 optimum is below 1e-9", best64[1] < 1e-9, f"{best64[1]:.1e} at eps {best64[0]:.0e}")
lesson.check("float32 cannot get below 1e-6", best32[1] > 1e-6, f"{best32[1]:.1e} at eps {best32[0]:.0e}")
lesson.check(
    "at float64's step, float32 falls in 'probably wrong'",
    ae.gradcheck.band(central32[k_default]) == "probably wrong",
    f"{central32[k_default]:.1e}",
)
lesson.check_gradients("the checker passes the float32 layer (upcast)", report32)
lesson.check("and says it upcast", any("float64" in note for note in report32.all_notes))
lesson.check("the complex step is exact to rounding", complex_error < 1e-14 and best_complex[1] < 1e-14)
lesson.check("Richardson beats the central difference at h = 1e-3", richardson_error < 1e-10, f"{richardson_error:.0e}")
lesson.check_gradients("tanh passes with the complex step", tanh_report)
lesson.check(
    "the sigmoid is not complex-safe, and still passes",
    sigmoid_report.passed and any("not complex-safe" in note for note in sigmoid_report.all_notes),
)
lesson.check("tiny gradients fool a naive relative error", tiny_errors[:, 2].max() > 1e-4)
lesson.check_gradients("the checker's noise floor passes them", tiny_report)
lesson.check_gradients("ReLU passes with its kinks declared", kink_report)
lesson.check("and fails without", not undeclared_report.passed, undeclared_report.summary())
lesson.check("the sign slip is hinted as a sign", sign_report.hint_codes[:1] == ["sign"], f"{sign_report.hint_codes}")
lesson.check(
    "the unwritten bias is hinted as not written",
    "not_written" in bias_report["b"].hint_codes,
    f"{bias_report['b'].hint_codes}",
)
lesson.check_gradients("assert_layer_gradients is silent on a correct layer", quiet_report)
lesson.check_gradients("assert_function_gradients proves the textbook's dense functions", function_report)
lesson.check("a failed assertion carries the checker's table and hint", "x (input)" in failure and "[sign]" in failure)
if hypothesis is not None:
    lesson.check("hypothesis drew inputs of several shapes for the correct layer", len(shapes) > 1, f"{shapes}")
    lesson.check(
        "hypothesis shrinks the sign slip to a small example",
        shrunk is not None and shrunk.size <= 6,
        "no failure" if shrunk is None else f"x of shape {shrunk.shape}",
    )
lesson.finish()
