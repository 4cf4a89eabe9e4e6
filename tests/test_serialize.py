"""save / load: exact round trips, atomic writes, and every kind of bad file refused with a clear error."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from helpers import seeds
from hypothesis import given
from hypothesis import strategies as st

import autoencoder_np as ae
from autoencoder_np import serialize

X = ae.datasets.founding_example(1)


def _trained(dtype: type = np.float64, optimizer: ae.Optimizer | None = None, **kwargs: object) -> ae.Autoencoder:
    model = ae.Autoencoder.from_sizes([10, 6, 3], seed=0, dtype=dtype, **kwargs)  # type: ignore[arg-type]
    model.fit(X, epochs=2, batch_size=32, optimizer=optimizer or ae.Adam(1e-2), seed=1, verbose=0)
    return model


def _assert_same_state(a: ae.Container, b: ae.Container) -> None:
    np.testing.assert_array_equal(a.flat.params, b.flat.params)
    assert a.flat.params.dtype == b.flat.params.dtype
    assert type(a.optimizer) is type(b.optimizer)
    assert getattr(a.optimizer, "t", None) == getattr(b.optimizer, "t", None)
    for name, state in a.optimizer.state.items():
        for key, value in state.items():
            np.testing.assert_array_equal(value, b.optimizer.state[name][key])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("optimizer", "noise"),
    [
        (lambda: ae.Adam(1e-2), {"input_dropout": 0.3, "input_noise": 0.1}),  # two layers share one Generator
        (lambda: ae.Adam(1e-2, weight_decay=0.1, decoupled=True), {}),
        (lambda: ae.SGD(0.1, momentum=0.9, nesterov=True), {"input_dropout": 0.2}),
    ],
)
def test_round_trip_is_exact_for_predictions_and_further_training(
    tmp_path: Path, dtype: type, optimizer, noise: dict
) -> None:
    model = _trained(dtype, optimizer(), **noise)
    path = ae.save(model, tmp_path / "model.npz")
    loaded = ae.load(path)
    assert repr(loaded) == repr(model)
    assert repr(loaded.optimizer) == repr(model.optimizer)
    assert type(loaded.loss) is type(model.loss)
    _assert_same_state(model, loaded)
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
    np.testing.assert_array_equal(loaded.encode(X), model.encode(X))
    # Further training (dropout and noise draws included) is bitwise what the saved model does.
    h_model = model.fit(X, epochs=3, batch_size=16, seed=2, verbose=0)
    h_loaded = loaded.fit(X, epochs=3, batch_size=16, seed=2, verbose=0)
    assert h_loaded["loss"] == h_model["loss"]
    _assert_same_state(model, loaded)


def test_a_model_never_trained_has_no_optimizer_or_loss(tmp_path: Path) -> None:
    model = ae.Autoencoder.from_sizes([4, 2], seed=0)
    loaded = ae.load(ae.save(model, tmp_path / "m.npz"))
    assert loaded.optimizer is None
    assert loaded.loss is None
    np.testing.assert_array_equal(loaded.flat.params, model.flat.params)


def test_training_flag_and_a_mt19937_generator_survive(tmp_path: Path) -> None:
    rng = np.random.Generator(np.random.MT19937(5))
    model = ae.Sequential([ae.Dropout(0.5, rng=rng), ae.Dense(3, 3, rng=0)]).eval()
    loaded = ae.load(ae.save(model, tmp_path / "m.npz"))
    assert not loaded.training
    assert not loaded.layers[0].training
    assert loaded.layers[0].rng.bit_generator.state["bit_generator"] == "MT19937"
    np.testing.assert_array_equal(loaded.layers[0].rng.random(5), rng.random(5))


def test_optimizer_state_alone_round_trips_and_binds_to_a_model(tmp_path: Path) -> None:
    model = _trained()
    twin = ae.load(ae.save(model, tmp_path / "m.npz"))
    twin.optimizer = None
    path = ae.save(model.optimizer, tmp_path / "adam.npz")
    with pytest.raises(ValueError, match=r"holds state for the parameters .*pass the model"):
        ae.load(path)
    twin.optimizer = ae.load(path, model=twin)
    assert twin.optimizer.t == model.optimizer.t
    model.fit(X, epochs=1, seed=3, verbose=0)
    twin.fit(X, epochs=1, seed=3, verbose=0)
    _assert_same_state(model, twin)
    with pytest.raises(ValueError, match="the optimizer state is for parameters"):
        ae.load(path, model=ae.Autoencoder.from_sizes([10, 3], seed=0))
    unbound = ae.load(ae.save(ae.SGD(0.5, momentum=0.5), tmp_path / "sgd.npz"))
    assert repr(unbound) == repr(ae.SGD(0.5, momentum=0.5))


def test_the_file_is_a_plain_npz_with_a_readable_header(tmp_path: Path) -> None:
    path = ae.save(_trained(np.float32), tmp_path / "m.npz")
    with np.load(path, allow_pickle=False) as npz:
        assert npz["params/encoder.0.W"].shape == (10, 6)
        assert npz["optimizer/decoder.2.b/v"].dtype == np.float32
        header = json.loads(npz["header.json"])
    assert header["format"] == "autoencoder_np"
    assert header["format_version"] == serialize.FORMAT_VERSION
    assert header["library_version"] == ae.__version__
    assert header["dtype"] == "float32"
    assert header["architecture"]["class"] == "Autoencoder"
    assert header["optimizer"]["hyperparameters"]["lr"] == 1e-2
    assert header["optimizer"]["t"] == 8
    assert header["loss"] == "MSELoss"
    assert header["arrays"]["params/encoder.0.W"] == {"shape": [10, 6], "dtype": "<f4"}


def test_generic_core_round_trips_any_numeric_arrays(tmp_path: Path) -> None:
    arrays = {"ids": np.arange(5), "seen": np.array([True, False]), "scores/x": np.eye(2, dtype=np.float32)}
    path = serialize.save_arrays(tmp_path / "core.npz", arrays, {"kind": "EASE", "lambda": 500.0})
    loaded, header = serialize.load_arrays(path)
    assert header["kind"] == "EASE"
    assert header["lambda"] == 500.0
    assert loaded.keys() == arrays.keys()
    for name, value in arrays.items():
        np.testing.assert_array_equal(loaded[name], value)
        assert loaded[name].dtype == value.dtype


@pytest.mark.parametrize(
    ("arrays", "header", "error", "message"),
    [
        ({"x": np.array([object()])}, {}, TypeError, "array 'x' must be numeric, got dtype object"),
        ({"x": np.array(["a"])}, {}, TypeError, "must be numeric"),
        ({"x": np.array([np.nan])}, {}, ValueError, "holds NaN or inf; refusing to save"),
        ({"": np.zeros(1)}, {}, TypeError, "names must be non-empty strings"),
        ({"x": np.zeros(1)}, {"f": object()}, TypeError, "cannot be written as JSON"),
        ({"x": np.zeros(1)}, {"f": float("nan")}, TypeError, "cannot be written as JSON"),
    ],
)
def test_save_arrays_refuses_what_it_cannot_store_safely(
    tmp_path: Path, arrays: dict, header: dict, error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        serialize.save_arrays(tmp_path / "x.npz", arrays, header)
    assert list(tmp_path.iterdir()) == []


def test_save_refuses_what_a_file_cannot_rebuild(tmp_path: Path) -> None:
    class Custom(ae.Identity):
        pass

    with pytest.raises(TypeError, match="a layer is a Custom, which a file cannot rebuild"):
        ae.save(ae.Sequential([ae.Dense(2, 2, rng=0), Custom()]), tmp_path / "m.npz")
    model = ae.Autoencoder.from_sizes([3, 2], seed=0)
    model.loss = type("MyLoss", (ae.MSELoss,), {})()
    with pytest.raises(TypeError, match=r"model.loss is a MyLoss"):
        ae.save(model, tmp_path / "m.npz")
    model.loss = None
    other = ae.Autoencoder.from_sizes([3, 2], seed=1)
    model.optimizer = ae.SGD(0.1)
    model.optimizer.step(other)
    with pytest.raises(ValueError, match="holds state for another model"):
        ae.save(model, tmp_path / "m.npz")
    model.optimizer = None
    with pytest.raises(TypeError, match="expected a layer, model or optimizer, got dict"):
        ae.save({}, tmp_path / "m.npz")
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike, got int"):
        ae.save(model, 3)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ae.save(ae.Dense(2, 2, rng=0), tmp_path / "no" / "m.npz")


# Bad files -----------------------------------------------------------------------------------------------


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _write(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def _with_header(path: Path, change) -> Path:
    members = _members(path)
    header = json.loads(members["header.json"])
    change(header)
    members["header.json"] = json.dumps(header).encode()
    return _write(path, members)


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    return ae.save(_trained(), tmp_path / "model.npz")


_UNPICKLED = []


def _payload() -> None:
    _UNPICKLED.append("code ran")


class _Malicious:
    """Unpickling this would run code (here: a harmless function that leaves a trace)."""

    def __reduce__(self):
        return (_payload, ())


def test_a_malicious_object_array_is_refused_without_running_code(saved: Path) -> None:
    members = _members(saved)
    members["params/encoder.0.W.npy"] = _npy(np.array([_Malicious()], dtype=object))
    header = json.loads(members["header.json"])
    header["arrays"]["params/encoder.0.W"] = {"shape": [1], "dtype": "|O"}
    members["header.json"] = json.dumps(header).encode()
    _write(saved, members)
    with pytest.raises(ae.FileFormatError, match=r"'params/encoder.0.W' has dtype object: it would need pickle"):
        ae.load(saved)
    assert _UNPICKLED == []


def test_a_pickled_npz_without_our_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, x=np.array([_Malicious()], dtype=object))
    with pytest.raises(ae.FileFormatError, match=r"no header.json inside: not an autoencoder_np file"):
        ae.load(path)
    assert _UNPICKLED == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda h: h.update(format_version=2), r"format version 2 .*reads format versions up to 1: upgrade"),
        (lambda h: h.update(format_version="1"), "format_version must be a positive integer"),
        (lambda h: h.update(format="keras"), "not an autoencoder_np file"),
        (lambda h: h.update(kind="tokenizer"), "unknown kind 'tokenizer'"),
        (lambda h: h["architecture"].update({"class": "Conv2D"}), "architecture in the header is invalid"),
        (lambda h: h.update(dtype="float32"), "the header says dtype 'float32'"),
        (lambda h: h.update(training="yes"), "'training' must be a bool"),
        (lambda h: h["optimizer"].update({"class": "Lion"}), "unknown optimizer class 'Lion'"),
        (lambda h: h["optimizer"]["hyperparameters"].update(lr=-1), "hyperparameters are invalid: .*lr must be"),
        (lambda h: h["optimizer"].update(t=-3), "step count t must be an integer ≥ 0"),
        (lambda h: h.update(loss="Hinge"), "unknown loss class 'Hinge'"),
        (lambda h: h["arrays"].pop("params/encoder.0.b"), r"members its header does not list"),
        (lambda h: h["arrays"].update({"params/extra": {"shape": [1], "dtype": "<f8"}}), "'params/extra' is missing"),
        (lambda h: h["arrays"]["params/encoder.0.W"].update(shape=[6, 10]), r"the header says \(6, 10\)"),
        (lambda h: h.update(arrays=[]), "manifest is malformed"),
    ],
)
def test_a_bad_header_is_refused_with_a_clear_error(saved: Path, change, message: str) -> None:
    _with_header(saved, change)
    with pytest.raises(ae.FileFormatError, match=message):
        ae.load(saved)


def test_missing_arrays_and_wrong_shapes_are_refused(saved: Path) -> None:
    members = _members(saved)
    members["params/encoder.0.W.npy"] = _npy(np.zeros((6, 10)))
    header = json.loads(members["header.json"])
    header["arrays"]["params/encoder.0.W"]["shape"] = [6, 10]
    del header["arrays"]["optimizer/decoder.0.b/m"]
    del members["optimizer/decoder.0.b/m.npy"]
    members["header.json"] = json.dumps(header).encode()
    _write(saved, members)
    with pytest.raises(ae.FileFormatError, match=r"params/encoder.0.W has shape \(6, 10\) .*expected \(10, 6\)"):
        ae.load(saved)
    members["params/encoder.0.W.npy"] = _npy(np.zeros((10, 6)))
    header["arrays"]["params/encoder.0.W"]["shape"] = [10, 6]
    members["header.json"] = json.dumps(header).encode()
    _write(saved, members)
    with pytest.raises(ae.FileFormatError, match=r"optimizer/ arrays do not match: missing \['decoder.0.b/m'\]"):
        ae.load(saved)


def test_nan_in_a_file_is_refused(saved: Path) -> None:
    members = _members(saved)
    members["params/decoder.0.b.npy"] = _npy(np.full(6, np.nan))
    _write(saved, members)
    with pytest.raises(ae.FileFormatError, match=r"'params/decoder.0.b' holds NaN or inf"):
        ae.load(saved)


def test_a_compressed_member_is_refused(saved: Path) -> None:
    members = _members(saved)
    with zipfile.ZipFile(saved, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ae.FileFormatError, match="is compressed"):
        ae.load(saved)


@given(fraction=st.floats(0.0, 0.999))
def test_a_truncated_file_is_refused(tmp_path_factory: pytest.TempPathFactory, fraction: float) -> None:
    path = ae.save(_trained(), tmp_path_factory.mktemp("t") / "m.npz")
    data = path.read_bytes()
    path.write_bytes(data[: int(fraction * len(data))])
    with pytest.raises(ae.FileFormatError, match=r"not a readable .npz file"):
        ae.load(path)


_GOOD = {}


@given(position=st.integers(0, 10**9), value=st.integers(0, 255), seed=seeds)
def test_a_corrupt_byte_is_refused_or_harmless(
    tmp_path_factory: pytest.TempPathFactory, position: int, value: int, seed: int
) -> None:
    if not _GOOD:
        model = _trained()
        _GOOD["model"] = model
        _GOOD["bytes"] = ae.save(model, tmp_path_factory.mktemp("good") / "m.npz").read_bytes()
    data = bytearray(_GOOD["bytes"])
    data[position % len(data)] = value
    path = tmp_path_factory.mktemp("c") / "m.npz"
    path.write_bytes(bytes(data))
    try:
        loaded = ae.load(path)
    except ae.FileFormatError:
        return
    _assert_same_state(loaded, _GOOD["model"])  # a byte zip does not check (a timestamp, say): same model


@given(data=st.binary(max_size=2000))
def test_random_bytes_are_refused(tmp_path_factory: pytest.TempPathFactory, data: bytes) -> None:
    path = tmp_path_factory.mktemp("r") / "m.npz"
    path.write_bytes(data)
    with pytest.raises(ae.FileFormatError):
        ae.load(path)


def test_missing_or_unreadable_paths_are_os_errors(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        ae.load(tmp_path / "nothing.npz")
    with pytest.raises(IsADirectoryError):
        ae.load(tmp_path)
    with pytest.raises(TypeError, match=r"path must be a str or os.PathLike"):
        ae.load(None)
    path = ae.save(ae.Dense(2, 2, rng=0), tmp_path / "d.npz")
    with pytest.raises(ValueError, match="model= is for optimizer files"):
        ae.load(path, model=ae.Dense(2, 2, rng=0))


# Atomic writes -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("interruption", [OSError("disk full"), KeyboardInterrupt()])
def test_an_interrupted_save_leaves_the_old_file_intact(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    model = _trained()
    path = ae.save(model, tmp_path / "model.npz")
    before = path.read_bytes()
    model.fit(X, epochs=1, verbose=0)
    calls = []

    def failing_write(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:  # fail in the middle of the archive
            raise interruption
        return write_array(*args, **kwargs)

    write_array = np.lib.format.write_array
    monkeypatch.setattr(np.lib.format, "write_array", failing_write)
    with pytest.raises(type(interruption)):
        ae.save(model, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.npz"]  # no temporary file left behind
    monkeypatch.undo()
    ae.save(model, path)
    np.testing.assert_array_equal(ae.load(path).flat.params, model.flat.params)


def test_a_saved_file_gets_the_usual_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = ae.save(ae.Dense(2, 2, rng=0), tmp_path / "d.npz")
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


DATA = Path(__file__).parent / "data"


@pytest.mark.parametrize(("name", "dtype"), [("founding_adam", np.float64), ("denoising_sgd_float32", np.float32)])
def test_a_file_saved_by_0_1_0_loads_and_trains_on_exactly_as_before(name: str, dtype: type) -> None:
    # Made by tests/data/make_v0_1_0.py with autoencoder_np 0.1.0: a model with its optimizer's state, and
    # what 5 more epochs gave there. Today's code must load it and give the same weights and state, bit for bit.
    model = ae.load(DATA / f"{name}_v0.1.0.npz")
    expected = np.load(DATA / f"{name}_v0.1.0_expected.npz", allow_pickle=False)
    X = np.random.default_rng(1).random((100, 10)).astype(dtype)
    history = model.fit(X, epochs=5, batch_size=32, seed=2, verbose=0)
    assert model.optimizer is not None
    for key in expected.files:
        if key.startswith("params/"):
            np.testing.assert_array_equal(model.params[key.removeprefix("params/")], expected[key], err_msg=key)
        elif key.startswith("optimizer/"):
            param, state = key.removeprefix("optimizer/").rsplit("/", 1)
            np.testing.assert_array_equal(model.optimizer.state[param][state], expected[key], err_msg=key)
    # The epoch losses: float64 bitwise; a float32 batch mean is now divided in float32 (one rounding apart).
    np.testing.assert_allclose(history["loss"], expected["loss"], rtol=0 if dtype == np.float64 else 1e-6)


def test_the_save_methods_of_0_1_still_work_and_point_to_ae_save(tmp_path: Path) -> None:
    model = _trained()
    with pytest.warns(DeprecationWarning, match=r"\.save\(path\) is deprecated: use autoencoder_np\.save\(obj, path\)"):
        path = model.save(tmp_path / "m.npz")
    np.testing.assert_array_equal(ae.load(path).flat.params, model.flat.params)
    assert model.optimizer is not None
    with pytest.warns(DeprecationWarning, match="Adam.save"):
        model.optimizer.save(tmp_path / "o.npz")
