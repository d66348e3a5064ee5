"""Trains tiny models on one device and data-parallel; used by the
`tf.distribute` and `torch.distributed` tests, in processes of their own.

    # TensorFlow: one run on the whole batch, one under MirroredStrategy
    # over 2 logical CPU devices (configured before TF initialises).
    KERAS_BACKEND=tensorflow python -m keras_gen.testing.data_parallel \
        mirrored OUT.npz gan wgan_gp ddpm

    # PyTorch: each of 2 processes (RANK=0/1, WORLD_SIZE=2, MASTER_ADDR,
    # MASTER_PORT, as `torchrun` sets them); each first trains some models
    # on whole batches alone (the references), then all train on their
    # shards under `torch.distributed`.
    KERAS_BACKEND=torch RANK=0 ... python -m keras_gen.testing.data_parallel \
        torch OUT_RANK0.npz gan vae

Each run starts from the same weights, sees the same global batches (in the
same order) and the same per-sample noise (`KeyedNoise`), and takes `STEPS`
SGD steps. The output holds `{name}/single/{i}` and `{name}/initial/{i}` (the
reference, on one of the processes) and `{name}/parallel/{i}` (every
process), the weights after training.
"""

import os
import sys

import numpy as np

GLOBAL_BATCH = 8
STEPS = 3
REPLICAS = 2
MODELS = ("gan", "wgan_gp", "aae", "vae", "autoencoder", "real_nvp", "ddpm")


def _smooth_mlp(inputs, outputs, name, flatten=False):
    """tanh MLP: with piecewise-linear units a 1e-7 rounding difference can
    flip a unit and grow within a few steps (see `parity.py`)."""
    import keras

    layers = [
        keras.Input((inputs,)),
        keras.layers.Dense(8, activation="tanh"),
        keras.layers.Dense(outputs),
    ]
    if flatten:
        layers.append(keras.layers.Reshape(()))
    return keras.Sequential(layers, name=name)


def build(name):
    """Model `name`, tiny, with `KeyedNoise`, and its data."""
    from keras_gen import models
    from keras_gen.models.autoencoder import networks as ae_networks
    from keras_gen.models.gan import networks as gan_networks
    from keras_gen.schedulers import DDPMScheduler
    from keras_gen.testing.keyed_noise import KeyedNoise

    rng = np.random.RandomState(0)
    n = GLOBAL_BATCH * STEPS

    class Keyed(KeyedNoise, getattr(models, _CLASSES[name])):
        pass

    if name == "gan":
        model = Keyed(
            generator=gan_networks.GANGenerator(
                3, (4,), hidden_units=(8,), batch_norm=False
            ),
            discriminator=gan_networks.GANDiscriminator(
                (4,), hidden_units=(8,)
            ),
            latent_dim=3,
        )
        x = rng.randn(n, 4)
    elif name == "wgan_gp":
        model = Keyed(
            generator=_smooth_mlp(3, 4, "generator"),
            discriminator=_smooth_mlp(4, 1, "critic", flatten=True),
            latent_dim=3,
            n_critic=2,
        )
        x = rng.randn(n, 4)
    elif name == "aae":
        model = Keyed(
            encoder=ae_networks.Encoder((4,), 2, hidden_units=(8,)),
            decoder=ae_networks.Decoder(
                2, (4,), hidden_units=(8,), output_activation="sigmoid"
            ),
            discriminator=gan_networks.GANDiscriminator(
                (2,), hidden_units=(8,)
            ),
            latent_dim=2,
        )
        x = rng.rand(n, 4)
    elif name == "vae":
        model = Keyed(data_shape=(6,), latent_dim=2)
        x = rng.rand(n, 6)
    elif name == "autoencoder":
        # No input corruption: it is drawn in `call`, before `compute_loss`
        # keys the noise (see `KeyedNoise`).
        model = Keyed(data_shape=(6,), latent_dim=2)
        x = rng.rand(n, 6)
    elif name == "real_nvp":
        model = Keyed(data_shape=(2,), num_coupling_layers=2, hidden_units=(8,))
        x = rng.randn(n, 2)
    elif name == "ddpm":
        model = Keyed(
            data_shape=(2,),
            value_range=None,
            hidden_dim=8,
            num_layers=2,
            ema_decay=0.9,
            scheduler=DDPMScheduler(num_train_timesteps=20, clip_sample=False),
        )
        x = rng.randn(n, 2)
    else:
        raise ValueError(f"Unknown model {name!r}; expected one of {MODELS}.")
    return model, x.astype("float32")


_CLASSES = {
    "gan": "GAN",
    "wgan_gp": "WGANGP",
    "aae": "AAE",
    "vae": "VAE",
    "autoencoder": "AutoEncoder",
    "real_nvp": "RealNVP",
    "ddpm": "DDPM",
}


def _compile(model):
    import keras

    from keras_gen.models.multi_optimizer_model import MultiOptimizerModel

    # Plain SGD: the step is proportional to the gradient, so a wrong
    # replica scale shows (Adam would hide a constant factor).
    if isinstance(model, MultiOptimizerModel):
        MultiOptimizerModel.compile(
            model,
            **{
                f"{n}_optimizer": keras.optimizers.SGD(0.05)
                for n in model.optimizer_names
            },
        )
    else:
        model.compile(optimizer=keras.optimizers.SGD(0.05))


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _train(model, x, batch_size):
    model.fit(x, batch_size=batch_size, epochs=1, shuffle=False, verbose=0)
    return _weights(model)


def run_mirrored(names, out_path):
    import tensorflow as tf

    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * REPLICAS
    )
    import keras

    strategy = tf.distribute.MirroredStrategy(
        [f"/cpu:{i}" for i in range(REPLICAS)]
    )
    results = {}
    for name in names:
        keras.utils.set_random_seed(0)
        model, x = build(name)
        _compile(model)
        initial = _weights(model)
        results.update(_named(name, "initial", initial))
        results.update(_named(name, "single", _train(model, x, GLOBAL_BATCH)))
        with strategy.scope():
            model, x = build(name)
            _compile(model)
        model.set_weights(initial)
        # Keras splits each global batch of `GLOBAL_BATCH` over the replicas.
        results.update(_named(name, "parallel", _train(model, x, GLOBAL_BATCH)))
        results[f"{name}/replicas"] = np.array(strategy.num_replicas_in_sync)
    np.savez(out_path, **results)


def run_torch(names, out_path):
    import keras

    from keras_gen.distribution import torch_ddp

    rank = int(os.environ["RANK"])
    world = int(os.environ["WORLD_SIZE"])
    results = {}
    # The references: one process, whole batches, before the group exists
    # (shared out between the processes, to save time).
    for name in names[rank::world]:
        keras.utils.set_random_seed(0)
        model, x = build(name)
        _compile(model)
        results.update(_named(name, "initial", _weights(model)))
        results.update(_named(name, "single", _train(model, x, GLOBAL_BATCH)))
    torch_ddp.initialize()
    assert torch_ddp.world_size() == world
    for name in names:
        # Different initial weights on each rank: `broadcast_weights` must
        # make them rank 0's.
        keras.utils.set_random_seed(rank)
        model, x = build(name)
        _compile(model)
        if name == "real_nvp":
            # Its data-dependent actnorm initialisation must see the whole
            # data, not a shard (`fit` skips it once done).
            model.initialize(x)
        torch_ddp.broadcast_weights(model)
        shard = torch_ddp.shard(x, GLOBAL_BATCH)
        results.update(
            _named(
                name, "parallel", _train(model, shard, GLOBAL_BATCH // world)
            )
        )
    results["world_size"] = np.array(world)
    np.savez(out_path, **results)
    torch_ddp.shutdown()


def _named(name, kind, weights):
    return {f"{name}/{kind}/{i}": w for i, w in enumerate(weights)}


def main(argv):
    mode, out_path, names = argv[1], argv[2], argv[3:]
    if mode == "mirrored":
        run_mirrored(names, out_path)
    elif mode == "torch":
        run_torch(names, out_path)
    else:
        raise ValueError(
            f"Unknown mode {mode!r}; expected 'mirrored' or 'torch'."
        )


if __name__ == "__main__":
    main(sys.argv)
