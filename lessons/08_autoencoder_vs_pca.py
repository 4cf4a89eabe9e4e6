# %% [markdown]
# # Lesson 8 · Autoencoder versus PCA
#
# Principal component analysis (PCA) is the classic way to squeeze data into k numbers per row: project
# each centred row onto the k directions along which the data varies most. It is the best any *linear*
# code of size k can do. This lesson shows two facts:
#
# 1. An autoencoder with no activations (a *linear* autoencoder) trained with MSE learns exactly the PCA
#    subspace: the principal angles between its decoder's directions and PCA's are ≈ 0. It learns the
#    subspace, not the principal components themselves.
# 2. On data that lies on a curve, a nonlinear autoencoder reconstructs far better than PCA with the same
#    code size, because it can bend.
#
# You need: lessons 1 to 6 (the autoencoder, Dense, activations, MSE, Adam). PCA is explained here.

# %%
import numpy as np
from matplotlib.figure import Figure

import autoencoder_np as ae
from autoencoder_np.lesson import Lesson

lesson = Lesson("08_autoencoder_vs_pca")

# %% [markdown]
# ## Step 1 · PCA in five lines of NumPy
# Centre the data (subtract each column's mean x̄), then take the singular value decomposition
# X_c = U S Vᵀ. The columns of V are the *principal directions*, orthonormal, sorted so that the data's
# variance along direction i, s_i²/n, decreases. The best rank-k reconstruction keeps the first k:
#
#     code  c = (x − x̄) V_k                   (k numbers)
#     x̂     = x̄ + c V_kᵀ = x̄ + (x − x̄) V_k V_kᵀ
#     MSE   = Σ_{i>k} s_i² / (n d)             (what the dropped directions held)
#
# No linear map of rank k does better (the Eckart–Young theorem). Our data: n rows in d = 10 dimensions,
# with three strong directions and seven weak ones, rotated at random so no single feature shows them.

# %%
lesson.step()
n, d, k = lesson.pick(full=500, fast=300), 10, 3
rng = np.random.default_rng(0)
spread = np.array([3.0, 2.5, 2.0, 0.6, 0.5, 0.4, 0.3, 0.3, 0.2, 0.2])  # std along each hidden direction
rotation, _ = np.linalg.qr(rng.normal(size=(d, d)))
X = (rng.normal(size=(n, d)) * spread) @ rotation.T + 1.0

mean = X.mean(axis=0)
U, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
V_k = Vt[:k].T  # (d, k): the top-k principal directions as columns
X_pca = mean + (X - mean) @ V_k @ V_k.T
pca_mse = float(np.mean((X - X_pca) ** 2))
print(f"X: {X.shape}; variance along each principal direction s²/n: {s**2 / n}")
print(f"PCA with k = {k}: MSE {pca_mse:.5f} = Σ_(i>k) s_i²/(n d) = {np.sum(s[k:] ** 2) / X.size:.5f}")
print(f"V_k is orthonormal: V_kᵀV_k = I up to {np.max(np.abs(V_k.T @ V_k - np.eye(k))):.1e}")

# %% [markdown]
# ## Step 2 · A linear autoencoder
# Take lesson 1's autoencoder and drop the activations: encoder Dense(10→3), decoder Dense(3→10), so
#
#     x̂ = (x W₁ + b₁) W₂ + b₂
#
# a rank-3 linear map plus an offset. It cannot beat PCA; trained with MSE it can match it. For an exact
# comparison we want an exact minimum, not one jittering with the batches, so we train on the whole data
# at once (`batch_size=n`: one step per epoch, plain gradient descent with Adam's scaling), then continue
# with a ten times smaller learning rate to settle.

# %%
lesson.step()
linear = ae.Autoencoder(ae.Sequential([ae.Dense(d, k, rng=1)]), ae.Sequential([ae.Dense(k, d, rng=2)]))
fast_phase = linear.fit(X, epochs=400, batch_size=n, optimizer=ae.Adam(lr=2e-2), verbose=0)
slow_phase = linear.fit(X, epochs=1000, batch_size=n, optimizer=ae.Adam(lr=2e-3), verbose=0)
linear_curve = fast_phase["loss"] + slow_phase["loss"]
linear_mse = linear.evaluate(X)
print(f"loss: first epoch {linear_curve[0]:.4f}, after {len(linear_curve)} epochs {linear_mse:.5f}")
print(f"PCA's MSE {pca_mse:.5f}: the autoencoder's is {linear_mse / pca_mse - 1:.1e} above it, relatively")

# %% [markdown]
# ## Step 3 · Same subspace: principal angles
# The decoder's 3 rows (the rows of W₂, each a direction in the 10-d space) span the subspace where all
# reconstructions x̂ − b₂ live. PCA's lives in the span of V_k. Two k-dimensional subspaces are compared
# by their *principal angles*: take an orthonormal basis of each (QR decomposition), and the singular
# values of Q_aᵀ Q_b are the cosines of the angles. All angles 0 ⇔ the same subspace.
# The encoder's columns (W₁, 10×3) must span it too at the minimum (x W₁ keeps only what lies along them),
# but they get there more slowly: tilting the encoder toward the weak directions costs only their small
# variance, so the gradient that corrects the tilt is small. That is why step 2 trains so long.

# %%
lesson.step()


def principal_angles(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Angles in degrees between the column spaces of A: (d, k) and B: (d, k), smallest first."""
    Q_a, _ = np.linalg.qr(A)
    Q_b, _ = np.linalg.qr(B)
    cosines = np.linalg.svd(Q_a.T @ Q_b, compute_uv=False)
    return np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0)))


W1 = linear.encoder.layers[0].params["W"]  # (d, k)
W2 = linear.decoder.layers[0].params["W"]  # (k, d)
decoder_angles = principal_angles(W2.T, V_k)
encoder_angles = principal_angles(W1, V_k)
print(f"decoder rows vs PCA: {decoder_angles} degrees")
print(f"encoder columns vs PCA: {encoder_angles} degrees")
row_to_component = np.degrees(np.arccos(np.abs(W2 / np.linalg.norm(W2, axis=1, keepdims=True)) @ np.abs(V_k)))
print("but each decoder row is not a principal component: angle (degrees) between row i and component j:")
print(np.round(row_to_component))
print("and the rows are not orthonormal: W₂ W₂ᵀ =", W2 @ W2.T, sep="\n")
print("Any invertible 3×3 mix A gives the same x̂ (W₁A, A⁻¹W₂): MSE only fixes the subspace.")

fig = Figure(figsize=(11, 4), layout="constrained")
left, right = fig.subplots(1, 2)
left.bar(range(1, d + 1), s**2 / n, color=["tab:blue"] * k + ["lightgray"] * (d - k))
left.set_xlabel("principal direction")
left.set_ylabel("variance along it (s²/n)")
left.set_title(f"the data's spectrum: PCA keeps the first {k}")
left.set_xticks(range(1, d + 1))
right.plot(range(1, len(linear_curve) + 1), linear_curve, label="linear autoencoder (training loss)")
right.axhline(pca_mse, color="gray", linestyle="--", label=f"PCA, k = {k}: {pca_mse:.4f}")
right.axvline(len(fast_phase["loss"]), color="gray", linewidth=0.8, linestyle=":")
right.text(len(fast_phase["loss"]) + 5, linear_curve[0] * 0.8, "lr ÷ 10", color="gray")
right.set_yscale("log")
right.set_xlabel("epoch (one full-batch step each)")
right.set_ylabel("MSE")
right.set_title(f"largest principal angle at the end: {decoder_angles.max():.3f}°")
right.legend(loc="center right")
right.grid(True, which="both", alpha=0.3)
lesson.save(fig, "linear_ae_vs_pca.png")

# %% [markdown]
# ## Step 4 · Data on a curve
# Now 2-D points on a half circle, angle θ from 0 to π, with a little noise. One number, θ, describes
# each point, so a code of size 1 should be enough, but PCA with k = 1 can only put its reconstructions
# on a straight line. A nonlinear autoencoder, 2→16→1→16→2 with tanh (lesson 3) and a linear output
# (`Identity`: the points are not limited to (0, 1)), can bend its line along the arc.

# %%
lesson.step()
m_points = lesson.pick(full=500, fast=300)
rng = np.random.default_rng(1)
theta = rng.uniform(0, np.pi, size=m_points)
arc = np.column_stack([np.cos(theta), np.sin(theta)]) + 0.03 * rng.normal(size=(m_points, 2))
arc_mean = arc.mean(axis=0)
_, _, arc_Vt = np.linalg.svd(arc - arc_mean, full_matrices=False)
arc_pca = arc_mean + (arc - arc_mean) @ arc_Vt[:1].T @ arc_Vt[:1]
arc_pca_mse = float(np.mean((arc - arc_pca) ** 2))

curved = ae.Autoencoder.from_sizes([2, 16, 1], hidden_activation="tanh", output_activation="identity", seed=0)
epochs = lesson.pick(full=300, fast=100)
curved.fit(arc, epochs=epochs, batch_size=32, optimizer=ae.Adam(lr=1e-2), seed=0, verbose=0)
arc_ae = curved.reconstruct(arc)
arc_ae_mse = float(np.mean((arc - arc_ae) ** 2))
codes = curved.encode(arc)[:, 0]
order = np.corrcoef(np.argsort(np.argsort(codes)), np.argsort(np.argsort(theta)))[0, 1]
print(f"PCA, k = 1:                    MSE {arc_pca_mse:.5f}")
print(
    f"nonlinear autoencoder, code 1: MSE {arc_ae_mse:.5f} after {epochs} epochs ({arc_pca_mse / arc_ae_mse:.0f}× lower)"
)
print(f"the noise itself has variance 0.03² = {0.03**2:.5f} per coordinate: the autoencoder's MSE is", end=" ")
print(f"{arc_ae_mse / 0.03**2:.1f} times that")
print(f"the code orders the points like θ does: rank correlation {order:+.3f} (±1: the code is θ, up to a bend)")

fig = Figure(figsize=(13, 4), layout="constrained")
axes = fig.subplots(1, 3)
for ax, (title, points) in zip(
    axes[:2], ((f"PCA, k = 1: MSE {arc_pca_mse:.4f}", arc_pca), (f"autoencoder, code 1: MSE {arc_ae_mse:.4f}", arc_ae)),
    strict=True,
):  # fmt: skip
    ax.scatter(arc[:, 0], arc[:, 1], s=6, color="lightgray", label="data")
    ax.scatter(points[:, 0], points[:, 1], s=6, c=theta, cmap="viridis", label="reconstruction (colour: θ)")
    ax.set_aspect("equal")
    ax.set_title(title)
    ax.legend(fontsize="small", loc="lower center")
axes[2].scatter(theta, codes, s=6, c=theta, cmap="viridis")
axes[2].set_xlabel("θ (the angle that made the point)")
axes[2].set_ylabel("the autoencoder's code h")
axes[2].set_title("what the 1-number code learned")
lesson.save(fig, "nonlinear_manifold.png")

# %% [markdown]
# ## Step 5 · Back to lesson 1
# Lesson 1 trained a 10→5→10 autoencoder on 100 rows of uniform noise and promised the best a 5-number
# *linear* code can do there. PCA gives it. Lesson 1's autoencoder has a ReLU and a sigmoid, so it is not
# bound by this number exactly, but on structureless noise there is no curve to bend along: it can only
# approach it (lesson 6's fastest optimizer gets about there).

# %%
lesson.step()
X1 = ae.datasets.founding_example(seed=1)
_, s1, _ = np.linalg.svd(X1 - X1.mean(axis=0), full_matrices=False)
pca5 = float(np.sum(s1[5:] ** 2) / X1.size)
print(f"PCA with k = 5 on lesson 1's X: MSE {pca5:.4f} (always predicting 0.5: {1 / 12:.4f})")
print(f"variance per direction s²/n: {s1**2 / len(X1)}: all about equal, as for noise: no direction stands out")

# %% [markdown]
# ## Self-checks

# %%
lesson.step()
lesson.check("PCA's MSE is the dropped variance", abs(pca_mse - np.sum(s[k:] ** 2) / X.size) < 1e-12)
lesson.check(
    "the linear autoencoder matches PCA's MSE", linear_mse < 1.001 * pca_mse, f"{linear_mse:.5f} vs {pca_mse:.5f}"
)
lesson.check("and cannot beat it", linear_mse >= pca_mse * (1 - 1e-9), "Eckart–Young")
lesson.check(
    "its decoder spans the PCA subspace", decoder_angles.max() < 0.1, f"largest angle {decoder_angles.max():.3f}°"
)
lesson.check("so does its encoder", encoder_angles.max() < 0.1, f"largest angle {encoder_angles.max():.3f}°")
lesson.check(
    "yet its rows are not the components", row_to_component.min() > 1, f"smallest {row_to_component.min():.0f}°"
)
lesson.check("on the arc the nonlinear autoencoder beats PCA", arc_ae_mse < arc_pca_mse / 10, f"{arc_ae_mse:.5f}")
lesson.check("its code follows θ", abs(order) > 0.95, f"rank correlation {order:+.3f}")
lesson.check("PCA with 5 of 10 directions beats predicting 0.5 on lesson 1's data", pca5 < 1 / 12, f"{pca5:.4f}")
lesson.finish()
