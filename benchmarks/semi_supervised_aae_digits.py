"""Semi-supervised AAE with 100 labels against the shipped digits CNN
trained on the same 100 labels alone (issue 20).

One side per process, one thread on one core. The data are the embedded
8x8 digits: the 1,000 train digits, of which 100 (10 per class, drawn with
`--seed`) keep their label and the other 900 get -1 (unlabelled); the
350 val digits choose the epoch; the 447 test digits give the accuracy.

- `--side ssaae`: `keras_gen.models.SemiSupervisedAAE` as in
  `examples/semi_supervised_aae.py` (conv encoder/decoder, 2-D style code,
  labelled digits repeated to a quarter of each epoch by `mix_labelled`,
  batch 100); its class head `model.classify` is scored.
- `--side cnn`: the architecture of the shipped digits classifier
  (`keras_gen.metrics.digits_cnn.DIGITS.build()`: two conv stages, 64
  features, dropout 0.3), Adam(1e-3), batch 10, on the 100 labelled
  digits only, without augmentation.

Both sides are scored on val and test every `--eval-every` epochs; the
same rule picks the epoch on each side: the best val accuracy (the
earliest on ties). The test accuracy there is the figure; the last
epoch's and the best test accuracy seen (an oracle, for both sides) are
recorded too.

    KERAS_BACKEND=tensorflow python benchmarks/semi_supervised_aae_digits.py --side ssaae --seed 0
    KERAS_BACKEND=tensorflow python benchmarks/semi_supervised_aae_digits.py --side cnn --seed 0

Results: `progan_ssaae_results.md`.
"""

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_utils  # noqa: E402


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--side", choices=("ssaae", "cnn"), required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--num-labelled", type=int, default=100)
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--eval-every", type=int, default=None)
    parser.add_argument("--latent-dim", type=int, default=2)
    return parser.parse_args()


def labelled_subset(y, num_labelled, seed):
    """Indices of `num_labelled // 10` digits of each class."""
    import numpy as np

    rng = np.random.RandomState(seed)
    return np.concatenate(
        [
            rng.permutation(np.flatnonzero(y == c))[: num_labelled // 10]
            for c in range(10)
        ]
    )


def score_every(classify, splits, every, curve):
    """A callback appending (epoch, val accuracy, test accuracy) to `curve`
    every `every` epochs."""
    import keras
    import numpy as np

    class Score(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if (epoch + 1) % every:
                return
            curve.append(
                [epoch + 1]
                + [
                    round(float(np.mean(classify(x) == y)), 4)
                    for x, y in splits
                ]
            )

    return Score()


def main():
    args = parse_args()
    bench_utils.pin_one_thread()
    import keras
    import numpy as np

    import keras_gen

    keras.utils.set_random_seed(args.seed)
    x, y = keras_gen.datasets.load_digits("train", with_labels=True)
    splits = [
        keras_gen.datasets.load_digits(split, with_labels=True)
        for split in ("val", "test")
    ]
    keep = labelled_subset(y, args.num_labelled, args.seed)
    curve = []
    cpu, wall = time.process_time(), time.time()
    if args.side == "ssaae":
        from keras_gen.models.aae import mix_labelled

        epochs, every = args.epochs or 150, args.eval_every or 5
        partial = np.full(len(y), -1)
        partial[keep] = y[keep]
        x_mixed, y_mixed = mix_labelled(
            x, partial, labelled_share=0.25, seed=args.seed
        )
        model = keras_gen.models.SemiSupervisedAAE(
            data_shape=x.shape[1:],
            num_classes=10,
            latent_dim=args.latent_dim,
            seed=args.seed,
        )
        model.compile()
        model.fit(
            x_mixed,
            y_mixed,
            epochs=epochs,
            batch_size=100,
            verbose=0,
            callbacks=[score_every(model.classify, splits, every, curve)],
        )
    else:
        from keras_gen.metrics import digits_cnn

        epochs, every = args.epochs or 300, args.eval_every or 5
        model = digits_cnn.DIGITS.build()
        model.compile(
            optimizer=keras.optimizers.Adam(1e-3),
            loss="sparse_categorical_crossentropy",
        )

        def classify(images):
            return model.predict(images, verbose=0).argmax(-1)

        model.fit(
            x[keep],
            y[keep],
            epochs=epochs,
            batch_size=10,
            verbose=0,
            callbacks=[score_every(classify, splits, every, curve)],
        )
    curve = np.asarray(curve)
    chosen = int(np.argmax(curve[:, 1]))  # the first best val accuracy
    result = dict(
        side=args.side,
        backend=keras.backend.backend(),
        seed=args.seed,
        num_labelled=int(len(keep)),
        epochs=epochs,
        chosen_epoch=int(curve[chosen, 0]),
        val_accuracy=float(curve[chosen, 1]),
        test_accuracy=float(curve[chosen, 2]),
        last_test_accuracy=float(curve[-1, 2]),
        best_test_accuracy=float(curve[:, 2].max()),
        train_cpu_s=round(time.process_time() - cpu, 1),
        train_wall_s=round(time.time() - wall, 1),
        curve=curve.tolist(),
    )
    print(
        f"{args.side} ({result['backend']}, seed {args.seed}): test accuracy "
        f"{result['test_accuracy']:.3f} at epoch {result['chosen_epoch']} "
        f"(val {result['val_accuracy']:.3f}); last {result['last_test_accuracy']:.3f}, "
        f"best {result['best_test_accuracy']:.3f}; {result['train_cpu_s']} s CPU"
    )
    bench_utils.emit(result)


if __name__ == "__main__":
    main()
