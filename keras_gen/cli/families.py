"""The default model of each family for `keras-gen train`.

Each recipe builds a small model for the data (the sizes of the built-in
presets, see `benchmarks/train_presets.py`), maps the data from [0, 1] to
the model's range, and compiles with the family's optimizer.
"""

import keras

from keras_gen import models
from keras_gen.cli.data import CommandError

# The range of each family's samples: tanh generators give [-1, 1].
TANH_RANGE = (-1.0, 1.0)
UNIT_RANGE = (0.0, 1.0)


def _to_range(x, value_range):
    low, high = value_range
    return low + (high - low) * x


def _adam(learning_rate, default):
    return keras.optimizers.Adam(default if learning_rate is None else learning_rate)


def _images_only(family, data):
    if data.kind != "images":
        raise CommandError(
            f"argument --data: {family} trains on images (`digits` or an image "
            f"folder). Received: --data={data.name}"
        )


def _vae(data, args):
    image = data.kind == "images"
    model = models.VAE(
        data_shape=data.train.shape[1:],
        latent_dim=args.latent_dim or (8 if image else 2),
        likelihood="bernoulli" if image else "gaussian",
        seed=args.seed,
    )
    model.compile(optimizer=_adam(args.learning_rate, 1e-3))
    return model, (UNIT_RANGE if image else None), 64


def _gan(cls, data, args):
    image = data.kind == "images"
    model = cls(data_shape=data.train.shape[1:], latent_dim=args.latent_dim or (32 if image else 2), seed=args.seed)
    if cls is models.WGANGP and (not image or args.learning_rate is not None):
        # The paper's Adam(1e-4, 0, 0.9); 1e-3 on the toys (as the preset).
        lr = args.learning_rate or 1e-3
        model.compile(
            d_optimizer=keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.9),
            g_optimizer=keras.optimizers.Adam(lr, beta_1=0.0, beta_2=0.9),
        )
    elif args.learning_rate is not None:
        lr = args.learning_rate
        model.compile(
            d_optimizer=keras.optimizers.Adam(lr, beta_1=0.5), g_optimizer=keras.optimizers.Adam(lr, beta_1=0.5)
        )
    else:
        model.compile()
    return model, (TANH_RANGE if image else None), (64 if image else 256)


def _aae(data, args):
    image = data.kind == "images"
    model = models.AAE(
        data_shape=data.train.shape[1:],
        latent_dim=args.latent_dim or (8 if image else 2),
        reconstruction_loss="binary_crossentropy" if image else "mse",
        seed=args.seed,
    )
    model.compile()
    return model, (UNIT_RANGE if image else None), 64


def _ddpm(data, args):
    image = data.kind == "images"
    if image:
        model = models.DDPM(
            data_shape=data.train.shape[1:],
            value_range=UNIT_RANGE,
            width=16,
            channel_multipliers=(1, 2),
            num_res_blocks=1,
            attention_resolutions=(4,),
            ema_decay=0.999,
            seed=args.seed,
        )
    else:
        model = models.DDPM(data_shape=(2,), value_range=None, hidden_dim=128, num_layers=3, ema_decay=0.999, seed=args.seed)
    model.compile(optimizer=_adam(args.learning_rate, 2e-3))
    return model, (UNIT_RANGE if image else None), (64 if image else 256)


def _real_nvp(data, args):
    if data.kind == "images":
        model = models.RealNVP(
            data_shape=data.train.shape[1:],
            num_scales=2,
            filters=16,
            num_blocks=1,
            # The digits hold 17 grey levels; other images 256.
            num_bins=17 if data.name == "digits" else 256,
            data_range=UNIT_RANGE,
            seed=args.seed,
        )
        value_range, batch_size = UNIT_RANGE, 64
    else:
        model = models.RealNVP(data_shape=(2,), num_coupling_layers=8, hidden_units=(128, 128), seed=args.seed)
        value_range, batch_size = None, 256
    model.compile(optimizer=_adam(args.learning_rate, 2e-3))
    return model, value_range, batch_size


def _stylegan2(data, args):
    _images_only("stylegan2", data)
    size, channels = data.train.shape[1], data.train.shape[3]
    if size < 4 or size & (size - 1):
        raise CommandError(
            "argument --image-size: stylegan2 needs a power of two >= 4 "
            f"(e.g. --image-size 16). Received: --image-size={size}"
        )
    latent = args.latent_dim or 64
    model = models.StyleGAN2(
        resolution=size,
        image_channels=channels,
        latent_dim=latent,
        w_dim=latent,
        channel_base=512,
        channel_max=64,
        r1_gamma=0.1,
        ema_decay=0.995,
        seed=args.seed,
    )
    lr = args.learning_rate or 0.0025

    def adam(interval):
        c = interval / (interval + 1)  # lazy regularisation (Karras et al., 2020, app. B)
        return keras.optimizers.Adam(lr * c, beta_1=0.0, beta_2=0.99**c, epsilon=1e-8)

    model.compile(d_optimizer=adam(model.r1_interval), g_optimizer=adam(model.pl_interval))
    return model, TANH_RANGE, 32


def _cyclegan(data, args):
    x_a = data.train[0]
    model = models.CycleGAN(
        image_shape=x_a.shape[1:],
        generator_filters=16,
        num_residual_blocks=3,
        discriminator_filters=32,
        discriminator_layers=2,
        seed=args.seed,
    )
    if args.learning_rate is not None:
        model.compile(
            g_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
            d_optimizer=keras.optimizers.Adam(args.learning_rate, beta_1=0.5),
        )
    else:
        model.compile()
    return model, TANH_RANGE, 4


RECIPES = {
    "vae": _vae,
    "gan": lambda data, args: _gan(models.GAN, data, args),
    "wgan_gp": lambda data, args: _gan(models.WGANGP, data, args),
    "aae": _aae,
    "ddpm": _ddpm,
    "real_nvp": _real_nvp,
    "stylegan2": _stylegan2,
    "cyclegan": _cyclegan,
}


def default_image_size(family, spec):
    """`--image-size` when not given."""
    if family == "stylegan2":
        return 16
    return 8 if spec == "digits" else 32


def build(family, data, args):
    """The family's default model for `data`, compiled.

    Returns:
        `(model, x, value_range, batch_size)`: `x` is the training data in
        the model's range (`value_range`; `None` for points, used as they
        are), `batch_size` the family's default.
    """
    if (family == "cyclegan") != (data.kind == "pairs"):
        raise CommandError(
            f"argument --data: {family} cannot train on {data.name!r}"
            + (": it needs two image domains." if family == "cyclegan" else ".")
            + f" Received: --data={data.name}"
        )
    model, value_range, batch_size = RECIPES[family](data, args)
    if value_range is None:
        x = data.train
    elif data.kind == "pairs":
        x = tuple(_to_range(d, value_range) for d in data.train)
    else:
        x = _to_range(data.train, value_range)
    return model, x, value_range, batch_size


def model_value_range(model, metadata=None):
    """The range of a model's samples (`None`: points, unscaled)."""
    if metadata and "value_range" in metadata:
        vr = metadata["value_range"]
        return None if vr is None else tuple(vr)
    shape = model._expected_data_shape()
    if shape is not None and len(shape) == 1:
        return None
    if isinstance(model, models.DDPM):
        return model.value_range
    if isinstance(model, models.RealNVP):
        return tuple(model.data_range)
    if isinstance(model, (models.GAN, models.StyleGAN2, models.CycleGAN)):
        return TANH_RANGE
    return UNIT_RANGE
