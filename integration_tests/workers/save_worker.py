"""A process that writes one file and is killed while doing it (run as a
script), for the tests of keras_gen's atomic writes.

    python save_worker.py preset DIR SEED
        saves a tiny VAE built with SEED as a preset in DIR; the
        environment's `KERAS_GEN_KILL_AT` (`preset.weights`,
        `preset.staged`, `preset.moved_aside`, `preset.swapped`) SIGKILLs
        the process at that point of `save_to_preset`.
    python save_worker.py keras PATH SEED
        `model.save(PATH)` of a tiny VAE, SIGKILLed in the middle of
        writing the archive (after its config, before its weights).
    python save_worker.py image PATH
        `keras_gen.utils.images.save_image` to PATH, SIGKILLed when half of
        the PNG is written. This mode does not import Keras (a fast child).
"""

import os
import signal
import sys
import types

ROOT = os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
)
sys.path.insert(0, ROOT)


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def tiny_vae(seed):
    import keras_gen

    return keras_gen.models.VAE(data_shape=(6,), latent_dim=2, seed=int(seed))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    if mode == "preset":
        tiny_vae(sys.argv[3]).save_to_preset(path)
    elif mode == "keras":
        import zipfile

        model = tiny_vae(sys.argv[3])
        model.build((None, 6))

        def writestr(self, *args, **kwargs):  # Keras writes the weights last
            die()

        zipfile.ZipFile.writestr = writestr
        model.save(path)
    elif mode == "image":
        # The image writer alone, without importing Keras: empty packages
        # stand in for keras_gen and keras_gen.utils.
        for name in ("keras_gen", "keras_gen.utils"):
            package = types.ModuleType(name)
            package.__path__ = [os.path.join(ROOT, *name.split("."))]
            sys.modules[name] = package
        import numpy as np
        from PIL import Image

        from keras_gen.utils import images

        def save(self, fp, format=None, **params):
            with open(fp, "wb") as f:
                f.write(b"\x89PNG\r\n\x1a\n half an image")
                f.flush()
            die()

        Image.Image.save = save
        images.save_image(np.full((4, 4), 255, "uint8"), path)
    else:
        raise ValueError(f"Unknown mode. Received: mode={mode!r}")
    sys.exit(0)  # not killed: the test fails on this status


if __name__ == "__main__":
    main()
