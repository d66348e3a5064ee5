"""Trains `ToyGAN` from given weights on given batches; used by the
cross-backend parity test, one process per backend.

    KERAS_BACKEND=torch python -m keras_gen.testing.parity IN.npz OUT.npz
"""

import sys

import numpy as np


def train_from(inputs_path, steps=12, batch_size=8):
    """Returns the weights after `steps` SGD steps, as a list of arrays."""
    import keras

    from keras_gen.testing.toy_gan import ToyGAN

    inputs = np.load(inputs_path)
    model = ToyGAN(latent_dim=3, data_dim=2, seed=0)
    model.compile(
        optimizers={
            "critic": keras.optimizers.SGD(0.05),
            "generator": keras.optimizers.SGD(0.05),
        }
    )
    n = len(model.weights)
    model.set_weights([inputs[f"w{i}"] for i in range(n)])
    x, z = inputs["x"], inputs["z"]
    epochs = steps * batch_size // len(x)
    model.fit(x, z, batch_size=batch_size, epochs=epochs, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.get_weights()]


def main(argv):
    inputs_path, out_path = argv[1], argv[2]
    weights = train_from(inputs_path)
    np.savez(out_path, **{f"w{i}": w for i, w in enumerate(weights)})


if __name__ == "__main__":
    main(sys.argv)
