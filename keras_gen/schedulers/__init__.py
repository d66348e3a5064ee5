"""Diffusion schedulers: the forward process and the reverse-step samplers,
as objects separate from the denoiser (as in diffusers)."""

from keras_gen.schedulers.beta_schedules import make_betas
from keras_gen.schedulers.ddim_scheduler import DDIMScheduler
from keras_gen.schedulers.ddpm_scheduler import DDPMScheduler
from keras_gen.schedulers.scheduler import Scheduler


def get(identifier, like=None):
    """A scheduler object from a name, or the object itself.

    Args:
        identifier: a `Scheduler`, or the name of a sampler: `"ddpm"`
            (ancestral) or `"ddim"`.
        like: a `Scheduler` whose settings (the forward process, and any
            setting the named class also takes) the new one keeps, as
            diffusers' `Scheduler.from_config(other.config)` does.

    Returns:
        A `Scheduler`.

    Example:

    ```python
    ddim = keras_gen.schedulers.get("ddim", like=keras_gen.schedulers.DDPMScheduler(beta_schedule="cosine"))
    ```
    """
    import inspect

    if isinstance(identifier, Scheduler):
        return identifier
    classes = {"ddpm": DDPMScheduler, "ddim": DDIMScheduler}
    if not isinstance(identifier, str) or identifier not in classes:
        raise ValueError(
            f"`scheduler` must be a `keras_gen.schedulers.Scheduler` or one of {sorted(classes)}. "
            f"Received: scheduler={identifier!r}"
        )
    cls = classes[identifier]
    if like is None:
        return cls()
    accepted = set(inspect.signature(cls.__init__).parameters) | set(inspect.signature(Scheduler.__init__).parameters)
    config = {k: v for k, v in like.get_config().items() if k in accepted}
    return cls(**config)
