"""`fit` takes the inputs a Keras project already has, for both training
routes (the `compute_loss` route of the VAE and the multi-optimizer route)."""

import keras
import numpy as np
import pytest

from keras_gen import datasets
from keras_gen.models import VAE
from keras_gen.testing.toy_gan import ToyGAN

BATCH = 32


def digits():
    return datasets.load_digits("train", binarize=True, flatten=True)[:256]


def points():
    return np.random.RandomState(0).randn(256, 2).astype("float32")


def as_numpy(x):
    return x, {"batch_size": BATCH, "shuffle": True}


def as_tf_data(x):
    tf = pytest.importorskip("tensorflow")
    return tf.data.Dataset.from_tensor_slices(x).shuffle(256, seed=0).batch(
        BATCH
    ), {"shuffle": False}


def as_torch_loader(x):
    torch = pytest.importorskip("torch")
    # A `TensorDataset` yields `(x,)` tuples, the usual torch form. (Keras
    # 3.15 misreads a DataLoader that yields bare tensors on JAX and TF.)
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(x))
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=BATCH, shuffle=True
    )
    return loader, {"shuffle": False}


class ArraySequence(keras.utils.PyDataset):
    def __init__(self, x, **kwargs):
        super().__init__(**kwargs)
        self.x = x

    def __len__(self):
        return len(self.x) // BATCH

    def __getitem__(self, i):
        return self.x[i * BATCH : (i + 1) * BATCH]


def as_py_dataset(x):
    return ArraySequence(x), {}


PIPELINES = [as_numpy, as_tf_data, as_torch_loader, as_py_dataset]


@pytest.mark.parametrize("make", PIPELINES, ids=lambda f: f.__name__)
def test_vae_fits_every_input_type(make):
    data, kwargs = make(digits())
    vae = VAE(data_shape=(64,), latent_dim=4, seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    history = vae.fit(data, epochs=3, verbose=0, **kwargs)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("make", PIPELINES, ids=lambda f: f.__name__)
def test_multi_optimizer_model_fits_every_input_type(make):
    data, kwargs = make(points())
    model = ToyGAN(seed=0)
    model.compile()
    history = model.fit(data, epochs=2, verbose=0, **kwargs)
    assert int(model.get_optimizer("critic").iterations) == 2 * (256 // BATCH)
    assert np.isfinite(history.history["c_loss"]).all()
