"""A quick digits classifier for judging generated digits in examples."""

import numpy as np

from keras_gen.datasets import load_digits


class DigitsProbe:
    """An RBF support-vector classifier (probabilities by calibration) fitted
    on the train split of the embedded digits (95 % test accuracy), used to
    tell whether samples look like digits and which ones.

    Images of any square size with values in [0, 1] are resized to 8x8.

    Example:

    ```python
    probe = DigitsProbe()
    stats = probe.evaluate(gan.generate(500) * 0.5 + 0.5)
    ```
    """

    def __init__(self):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.svm import SVC

        x, y = load_digits("train", flatten=True, with_labels=True)
        self.classifier = CalibratedClassifierCV(
            SVC(C=10.0, gamma=0.1), ensemble=False
        ).fit(x, y)
        x_test, y_test = load_digits("test", flatten=True, with_labels=True)
        self.test_accuracy = float(self.classifier.score(x_test, y_test))

    @staticmethod
    def _flatten(images):
        images = np.asarray(images, dtype="float32")
        if images.ndim == 4:
            images = images[..., 0]
        if images.ndim == 3 and images.shape[1] != 8:
            from PIL import Image

            images = np.stack(
                [
                    np.asarray(
                        Image.fromarray(im, mode="F").resize(
                            (8, 8), Image.BILINEAR
                        )
                    )
                    for im in images
                ]
            )
        return np.clip(images.reshape(len(images), -1), 0.0, 1.0)

    def predict_proba(self, images):
        return self.classifier.predict_proba(self._flatten(images))

    def evaluate(self, images, labels=None):
        """Statistics of generated digits.

        Returns:
            A dict: `confident` (share classified with probability >= 0.9),
            `classes` (classes predicted for at least 2 % of the samples),
            `class_entropy` (nats; ln 10 = 2.303 is uniform) and, when the
            requested `labels` are given, `label_accuracy`.
        """
        p = self.predict_proba(images)
        predicted = p.argmax(axis=1)
        share = np.bincount(predicted, minlength=10) / len(predicted)
        used = share > 0
        stats = {
            "confident": float((p.max(axis=1) >= 0.9).mean()),
            "classes": int((share >= 0.02).sum()),
            "class_entropy": float(-(share[used] * np.log(share[used])).sum()),
        }
        if labels is not None:
            stats["label_accuracy"] = float(
                (predicted == np.asarray(labels)).mean()
            )
        return stats

    def report(self, images, labels=None):
        """A printable comparison of samples with the real test digits."""
        fake = self.evaluate(images, labels)
        x_test, y_test = load_digits("test", with_labels=True)
        real = self.evaluate(x_test, y_test if labels is not None else None)
        lines = [
            f"digits classifier ({100 * self.test_accuracy:.1f} % test accuracy) on "
            f"{len(images)} samples (real test digits in brackets):",
            f"  labelled with confidence >= 0.9 : {100 * fake['confident']:5.1f} %  ({100 * real['confident']:.1f} %)",
            f"  classes present (>= 2 %)        : {fake['classes']:5d}    ({real['classes']})",
            f"  class entropy (ln 10 = 2.303)   : {fake['class_entropy']:5.2f}    ({real['class_entropy']:.2f})",
        ]
        if labels is not None:
            lines.append(
                f"  classified as the requested label: {100 * fake['label_accuracy']:5.1f} %  "
                f"({100 * real['label_accuracy']:.1f} %)"
            )
        distance, floor = self.frechet_distance(images)
        lines.append(
            f"  classifier Frechet distance to the test split: {distance:.2f}  "
            f"(real train digits: {floor:.2f})"
        )
        return "\n".join(lines)

    @staticmethod
    def frechet_distance(images):
        """The classifier Fréchet distance of `images` (in [0, 1]) to the
        test split, on the features of the shipped digits CNN (not FID), and
        the floor: the same distance for the real train split."""
        from keras_gen.metrics.digits_cnn import digits_features
        from keras_gen.metrics.frechet_distance import FrechetDistance

        extractor = digits_features()
        x_test = load_digits("test")
        values = []
        # Other sizes are resized to 8x8 as for the probe's own classifier.
        samples = DigitsProbe._flatten(np.asarray(images, "float32"))
        for generated in (samples, load_digits("train")):
            metric = FrechetDistance(feature_extractor=extractor)
            metric.update_state(
                real=x_test, generated=generated.reshape((-1, 8, 8, 1))
            )
            values.append(float(metric.result()))
        return tuple(values)
