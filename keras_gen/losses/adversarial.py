"""Adversarial losses, written on the discriminator's logits.

Each loss has a discriminator part and a generator part, both batch means.
With `r = D(x)` on real data and `f = D(G(z))` on generated data:

| name | discriminator | generator |
| --- | --- | --- |
| `non_saturating` (Goodfellow et al., 2014, sec. 3) | softplus(-r) + softplus(f) | softplus(-f) |
| `minimax` (ibid., eq. 1) | softplus(-r) + softplus(f) | -softplus(f) |
| `least_squares` (Mao et al., 2017, eq. 2, a=0 b=c=1) | ((r - 1)^2 + f^2) / 2 | (f - 1)^2 / 2 |
| `hinge` (Lim & Ye, 2017; Miyato et al., 2018) | relu(1 - r) + relu(1 + f) | -f |
| `wasserstein` (Arjovsky et al., 2017) | f - r | -f |

`softplus(-r) = -log sigmoid(r)`, so the first two are the cross-entropies of
the original GAN on logits. One-sided label smoothing (Salimans et al., 2016,
sec. 3.4) moves the real target of the cross-entropy losses from 1 to
`1 - label_smoothing`.
"""

from keras import ops

from keras_gen.utils import validation

LOSSES = ("non_saturating", "minimax", "least_squares", "hinge", "wasserstein")


def discriminator_loss(name, real_logits, fake_logits, label_smoothing=0.0):
    """The discriminator (critic) loss of `name` on logits."""
    validation.check_choice(name, "loss", LOSSES)
    # float32 under a mixed policy too: the loss of float16 logits loses
    # precision, and TF does not promote float16 + float32 terms.
    r, f = ops.cast(real_logits, "float32"), ops.cast(fake_logits, "float32")
    if name in ("non_saturating", "minimax"):
        a = label_smoothing
        real = (1.0 - a) * ops.softplus(-r) + a * ops.softplus(r)
        return ops.mean(real) + ops.mean(ops.softplus(f))
    if name == "least_squares":
        return 0.5 * (ops.mean(ops.square(r - 1.0)) + ops.mean(ops.square(f)))
    if name == "hinge":
        return ops.mean(ops.relu(1.0 - r)) + ops.mean(ops.relu(1.0 + f))
    return ops.mean(f) - ops.mean(r)


def generator_loss(name, fake_logits):
    """The generator loss of `name` on the logits of generated samples."""
    validation.check_choice(name, "loss", LOSSES)
    f = ops.cast(fake_logits, "float32")  # see `discriminator_loss`
    if name == "non_saturating":
        return ops.mean(ops.softplus(-f))
    if name == "minimax":
        return -ops.mean(ops.softplus(f))
    if name == "least_squares":
        return 0.5 * ops.mean(ops.square(f - 1.0))
    return -ops.mean(f)
