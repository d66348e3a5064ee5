"""Default configuration of every model family, on the embedded data.

One builder per family returns `(model, fit_args, batch_size)`: the model
with its documented defaults (as in the family's example and built-in
preset), compiled with an explicit `jit_compile` (XLA on JAX and TensorFlow,
eager on PyTorch: docs/design.md, section 2), and the arrays `fit` takes. The
speed and scaling benchmarks share these so that every figure refers to the
same configurations.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402

import keras_gen  # noqa: E402


def default_jit_compile():
    """XLA on JAX and TensorFlow; eager on torch (dynamo falls back)."""
    return keras.backend.backend() != "torch"


def _digits(n, image_size=8, scale="unit", binarize=False):
    x = keras_gen.datasets.load_digits(
        "train", image_size=image_size, binarize=binarize
    )
    x = np.asarray(x, "float32")
    if n is not None:
        x = np.resize(
            x, (n,) + x.shape[1:]
        )  # repeats the 1,000 digits when n is larger
    return x * 2.0 - 1.0 if scale == "signed" else x


def build_vae(n=None, batch_size=64, image_size=8, jit_compile=None):
    x = _digits(n, image_size, binarize=True)
    model = keras_gen.models.VAE(data_shape=x.shape[1:], latent_dim=16, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), jit_compile=_jit(jit_compile)
    )
    return model, (x,), batch_size


def build_autoencoder(n=None, batch_size=64, image_size=8, jit_compile=None):
    x = _digits(n, image_size)
    model = keras_gen.models.AutoEncoder(
        data_shape=x.shape[1:], latent_dim=16, seed=0
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), jit_compile=_jit(jit_compile)
    )
    return model, (x,), batch_size


def build_gan(n=None, batch_size=64, image_size=8, jit_compile=None):
    x = _digits(n, image_size, scale="signed")
    model = keras_gen.models.GAN(data_shape=x.shape[1:], latent_dim=64, seed=0)
    model.compile(jit_compile=_jit(jit_compile))
    return model, (x,), batch_size


def build_wgan_gp(n=None, batch_size=64, image_size=8, jit_compile=None):
    x = _digits(n, image_size, scale="signed")
    model = keras_gen.models.WGANGP(
        data_shape=x.shape[1:], latent_dim=32, seed=0
    )
    model.compile(jit_compile=_jit(jit_compile))
    return model, (x,), batch_size


def build_aae(n=None, batch_size=64, image_size=8, jit_compile=None):
    x = _digits(n, image_size)
    model = keras_gen.models.AAE(
        data_shape=x.shape[1:], latent_dim=2, prior="mixture", seed=0
    )
    model.compile(jit_compile=_jit(jit_compile))
    return model, (x,), batch_size


def build_real_nvp(n=None, batch_size=256, image_size=None, jit_compile=None):
    x = keras_gen.datasets.toy_2d("8gaussians", n or 20_000, seed=0).astype(
        "float32"
    )
    model = keras_gen.models.RealNVP(
        data_shape=(2,), num_coupling_layers=8, hidden_units=(128, 128), seed=0
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), jit_compile=_jit(jit_compile)
    )
    return model, (x,), batch_size


def build_cyclegan(n=None, batch_size=4, image_size=32, jit_compile=None):
    x_a, x_b = keras_gen.datasets.load_sample_photos(
        "train", image_size=image_size
    )
    if n is not None:
        x_a = np.resize(x_a, (n,) + x_a.shape[1:])
        x_b = np.resize(x_b, (n,) + x_b.shape[1:])
    model = keras_gen.models.CycleGAN(
        data_shape=x_a.shape[1:],
        generator_filters=16,
        num_residual_blocks=3,
        discriminator_filters=32,
        discriminator_layers=2,
        seed=0,
    )
    model.compile(jit_compile=_jit(jit_compile))
    return model, ((x_a, x_b),), batch_size


def build_stylegan2(n=None, batch_size=32, image_size=16, jit_compile=None):
    x = _digits(n, image_size, scale="signed")
    model = keras_gen.models.StyleGAN2(
        resolution=image_size,
        latent_dim=32,
        w_dim=32,
        channel_base=256,
        channel_max=32,
        seed=0,
    )
    if jit_compile is None and keras.backend.backend() == "tensorflow":
        # XLA refuses the second derivative inside the lazy-R1 `cond` at
        # 16x16 ("InvertPermutation: 0 is duplicated in the input"); the
        # model's default ("auto") trains with a tf.function without XLA.
        jit_compile = False
    model.compile(jit_compile=_jit(jit_compile))
    return model, (x,), batch_size


def build_ddpm(n=None, batch_size=64, image_size=8, jit_compile=None):
    x = _digits(n, image_size)
    model = keras_gen.models.DDPM(
        data_shape=x.shape[1:], value_range=(0.0, 1.0), width=32, seed=0
    )
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), jit_compile=_jit(jit_compile)
    )
    return model, (x,), batch_size


def _jit(jit_compile):
    return default_jit_compile() if jit_compile is None else jit_compile


FAMILIES = {
    "vae": build_vae,
    "autoencoder": build_autoencoder,
    "gan": build_gan,
    "wgan_gp": build_wgan_gp,
    "aae": build_aae,
    "real_nvp": build_real_nvp,
    "cyclegan": build_cyclegan,
    "stylegan2": build_stylegan2,
    "ddpm": build_ddpm,
}

DESCRIPTIONS = bench_utils.FAMILY_DESCRIPTIONS


class EpochTimer(keras.callbacks.Callback):
    """Wall-clock seconds of each epoch of `fit`."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_epoch_begin(self, epoch, logs=None):
        import time

        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        import time

        self.times.append(time.perf_counter() - self._start)


def time_fit(model, fit_args, batch_size, steps_per_epoch, repeats, warmup=1):
    """Median seconds per epoch of `steps_per_epoch` steps, after warm-up.

    The data is cut to `steps_per_epoch * batch_size` samples; `fit` runs
    `warmup + repeats` epochs and the first `warmup` ones (compilation) are
    dropped.

    Returns:
        `(median_epoch_seconds, epoch_seconds, samples_per_epoch)`.
    """
    n = steps_per_epoch * batch_size
    x = fit_args[0]
    if isinstance(x, tuple):
        x = tuple(np.resize(a, (n,) + a.shape[1:]) for a in x)
    else:
        x = np.resize(x, (n,) + x.shape[1:])
    timer = EpochTimer()
    model.fit(
        x,
        epochs=warmup + repeats,
        batch_size=batch_size,
        verbose=0,
        shuffle=False,
        callbacks=[timer],
    )
    times = timer.times[warmup:]
    return float(np.median(times)), times, n
