"""Trains small models from given weights, batches and noise; used by the
cross-backend parity tests, one process per backend.

    KERAS_BACKEND=torch python -m keras_gen.testing.parity IN.npz OUT.npz toy gan

writes, for each named model, its weights after a few SGD steps.
"""

import sys

import numpy as np

BATCH = 8
STEPS = 6
MODELS = ("toy", "gan", "wgan_gp", "aae")


def build(name):
    """The model `name`, tiny, with every option its family offers on."""
    import keras

    from keras_gen import models
    from keras_gen.models.gan import networks as gan_networks
    from keras_gen.testing.replay_noise import ReplayNoise
    from keras_gen.testing.toy_gan import ToyGAN

    if name == "toy":
        return ToyGAN(latent_dim=3, data_dim=2, seed=0)

    class ReplayGAN(ReplayNoise, models.GAN):
        pass

    class ReplayWGANGP(ReplayNoise, models.WGANGP):
        pass

    class ReplayAAE(ReplayNoise, models.AAE):
        pass

    if name == "gan":
        model = ReplayGAN(
            generator=gan_networks.GANGenerator(
                3, (4,), num_classes=3, hidden_units=(8,)
            ),
            discriminator=gan_networks.GANDiscriminator(
                (4,),
                num_classes=3,
                conditioning="projection",
                hidden_units=(8,),
                spectral_norm=True,
                minibatch_stddev=True,
            ),
            latent_dim=3,
            num_classes=3,
            ema_decay=0.9,
            feature_matching_weight=0.5,
            label_smoothing=0.1,
            d_steps=2,
        )
    elif name == "wgan_gp":
        # Smooth networks: the gradient penalty's weight gradient jumps where
        # a ReLU or LeakyReLU input changes sign, so with piecewise-linear
        # networks a 1e-7 difference in rounding (TensorFlow's first run in a
        # process rounds differently from its later ones) can flip a unit and
        # grow to 1e-3..1e-1 within a few steps. tanh keeps the test about the
        # algorithm. (The "gan" case covers ReLU, BatchNorm and LeakyReLU.)
        def smooth(inputs, outputs, name):
            return keras.Sequential(
                [
                    keras.Input((inputs,)),
                    keras.layers.Dense(8, activation="tanh"),
                    keras.layers.Dense(outputs),
                ]
                + ([keras.layers.Reshape(())] if outputs == 1 else []),
                name=name,
            )

        model = ReplayWGANGP(
            generator=smooth(3, 4, "generator"),
            discriminator=smooth(4, 1, "critic"),
            latent_dim=3,
            n_critic=2,
            drift_weight=0.01,
        )
    else:
        from keras_gen.models.autoencoder import networks as ae_networks

        model = ReplayAAE(
            encoder=ae_networks.Encoder((4,), 2, hidden_units=(8,)),
            decoder=ae_networks.Decoder(
                2 + 3, (4,), hidden_units=(8,), output_activation="sigmoid"
            ),
            discriminator=gan_networks.GANDiscriminator(
                (2,), hidden_units=(8,)
            ),
            latent_dim=2,
            prior="mixture",
            num_components=3,
            num_classes=3,
        )
    return model


def make_inputs(name, seed=0):
    """Initial weights, data and noise tables for model `name`."""
    model = build(name)
    rng = np.random.RandomState(seed)
    inputs = {
        f"w{i}": np.zeros(w.shape, w.dtype)
        if "int" in str(w.dtype)
        else np.asarray(rng.randn(*w.shape) * 0.5, "float32")
        for i, w in enumerate(model.weights)
    }
    dim = 2 if name == "toy" else 4
    n = BATCH * STEPS
    inputs["x"] = rng.rand(n, dim).astype("float32")
    inputs["y"] = (np.arange(n) % 3).astype("int32")
    inputs["z"] = rng.randn(n, 3).astype("float32")
    inputs["normal"] = rng.randn(STEPS, 8, BATCH, 4).astype("float32")
    inputs["uniform"] = rng.rand(STEPS, 8, BATCH, 4).astype("float32")
    return inputs


def train(name, inputs):
    """Returns the weights of model `name` after `STEPS` SGD steps."""
    import keras

    from keras_gen.models.multi_optimizer_model import MultiOptimizerModel

    model = build(name)
    if name != "toy":
        model.noise_tables = {
            "normal": inputs["normal"],
            "uniform": inputs["uniform"],
        }
    MultiOptimizerModel.compile(
        model,
        **{
            f"{n}_optimizer": keras.optimizers.SGD(0.02)
            for n in model.optimizer_names
        },
    )
    model.set_weights([inputs[f"w{i}"] for i in range(len(model.weights))])
    x = inputs["x"]
    y = {"toy": inputs["z"], "gan": inputs["y"], "aae": inputs["y"]}.get(name)
    model.fit(x, y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.get_weights()]


def main(argv):
    inputs_path, out_path, names = argv[1], argv[2], argv[3:]
    results = {}
    for name in names:
        inputs = dict(np.load(f"{inputs_path}.{name}.npz"))
        for i, w in enumerate(train(name, inputs)):
            results[f"{name}_w{i}"] = w
    np.savez(out_path, **results)


if __name__ == "__main__":
    main(sys.argv)
