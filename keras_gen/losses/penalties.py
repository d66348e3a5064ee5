"""Gradient penalties on a discriminator's input gradient."""

from keras import ops

from keras_gen.backend import input_gradient


def _per_sample_norm(grads):
    axes = tuple(range(1, len(grads.shape)))
    return ops.sqrt(ops.sum(ops.square(grads), axis=axes) + 1e-12)


def interpolate(real, fake, epsilon):
    """Points `eps * real + (1 - eps) * fake`, one `eps ~ U[0, 1]` per sample.

    Args:
        real, fake: tensors of the same shape `(batch, ...)`.
        epsilon: uniform draws of shape `(batch,)`.
    """
    real, fake = ops.convert_to_tensor(real), ops.convert_to_tensor(fake)
    # Under a mixed policy the generated samples are float16/bfloat16 and
    # the data float32: interpolate in the data's dtype (TF does not promote).
    fake = ops.cast(fake, real.dtype)
    eps = ops.cast(
        ops.reshape(epsilon, (-1,) + (1,) * (len(real.shape) - 1)), real.dtype
    )
    return eps * real + (1.0 - eps) * fake


def gradient_penalty(critic, real, fake, epsilon, target=1.0):
    """WGAN-GP penalty `E[(||grad D(x_hat)||_2 - target)^2]`.

    Gulrajani et al. (2017), eq. 3 and Algorithm 1 (lines 4-7): `x_hat` lies
    on the segment between a real and a generated sample, at a position
    drawn UNIFORMLY on [0, 1] (`epsilon`).

    Args:
        critic: callable mapping a batch to one score per sample.
        real, fake: real and generated batches (same shape).
        epsilon: `(batch,)` uniform draws on [0, 1].
        target: the gradient norm the penalty pulls towards (1).

    Returns:
        The scalar penalty (multiply by lambda = 10 for WGAN-GP).
    """
    x_hat = interpolate(
        real, ops.stop_gradient(ops.convert_to_tensor(fake)), epsilon
    )
    grads = input_gradient(critic, x_hat)
    return ops.mean(ops.square(_per_sample_norm(grads) - target))


def r1_penalty(discriminator, real):
    """R1 penalty `E[||grad D(x)||^2]` on real data (Mescheder et al., 2018,
    eq. 9, without the gamma / 2 factor)."""
    grads = input_gradient(discriminator, real)
    axes = tuple(range(1, len(grads.shape)))
    return ops.mean(ops.sum(ops.square(grads), axis=axes))
