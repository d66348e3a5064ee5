"""Linear KL warm-up for VAEs."""

import keras


class KLWarmup(keras.callbacks.Callback):
    """Ramps a VAE's KL weight linearly from 0 to its target (`beta`; 1 for
    a `BetaTCVAE`, whose whole KL decomposition it scales).

    At the start of epoch `e` the weight is `beta * min(1, e / epochs)`, so
    the first epoch trains the reconstruction alone and epoch `epochs` uses
    the full `beta`. `VAE.fit` adds this callback by itself when the model
    has `kl_warmup_epochs > 0`; pass one explicitly to override `epochs`.

    Args:
        epochs: length of the ramp; `None` uses the model's
            `kl_warmup_epochs`.
    """

    def __init__(self, epochs=None):
        super().__init__()
        self.epochs = epochs

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.epochs or self.model.kl_warmup_epochs
        fraction = 1.0 if not epochs else min(1.0, epoch / epochs)
        # Assigned between epochs: the JAX trainer reads the variable back
        # into its state at the start of every epoch.
        target = getattr(self.model, "kl_weight_target", self.model.beta)
        self.model.kl_weight.assign(target * fraction)
