"""Made once with autoencoder_np 0.1.0 (commit 0c40f8b): files that later versions must load and train on."""

from pathlib import Path

import numpy as np

import autoencoder_np as ae

out = Path("tests/data")
X = np.random.default_rng(1).random((100, 10))
cases = {
    "founding_adam": (ae.Autoencoder.from_sizes([10, 5], seed=0), ae.Adam(lr=1e-3), np.float64),
    "denoising_sgd_float32": (
        ae.Autoencoder.from_sizes([10, 6, 3], hidden_activation="tanh", input_dropout=0.2, seed=3, dtype=np.float32),
        ae.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
        np.float32,
    ),
}
for name, (model, opt, dt) in cases.items():
    Xd = X.astype(dt)
    model.fit(Xd, epochs=5, batch_size=32, optimizer=opt, seed=1, verbose=0)
    model.save(out / f"{name}_v0.1.0.npz")
    history = model.fit(Xd, epochs=5, batch_size=32, seed=2, verbose=0)
    expected = {f"params/{k}": v.copy() for k, v in model.params.items()}
    expected.update({f"optimizer/{p}/{k}": v.copy() for p, s in model.optimizer.state.items() for k, v in s.items()})
    expected["loss"] = np.array(history["loss"])
    np.savez(out / f"{name}_v0.1.0_expected.npz", **expected)
    print(name, history["loss"][-1], getattr(model.optimizer, "t", None))
