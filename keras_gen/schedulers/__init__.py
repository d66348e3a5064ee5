"""Diffusion schedulers: the forward process and the reverse-step samplers,
as objects separate from the denoiser (as in diffusers)."""

from keras_gen.schedulers.beta_schedules import (
    make_betas,
    rescale_zero_terminal_snr,
)
from keras_gen.schedulers.ddim_scheduler import DDIMScheduler
from keras_gen.schedulers.ddpm_scheduler import DDPMScheduler
from keras_gen.schedulers.dpm_solver_scheduler import (
    DPMSolverMultistepScheduler,
)
from keras_gen.schedulers.euler_scheduler import EulerScheduler
from keras_gen.schedulers.heun_scheduler import HeunScheduler
from keras_gen.schedulers.sampling import run_reverse_process
from keras_gen.schedulers.scheduler import Scheduler, spaced_timesteps
from keras_gen.schedulers.score_sde_scheduler import ScoreSdeScheduler
from keras_gen.schedulers.sigma_scheduler import SigmaScheduler, karras_sigmas
from keras_gen.schedulers.training import min_snr_loss_weights, offset_noise


def get(identifier, like=None):
    """A scheduler object from a name, or the object itself.

    Args:
        identifier: a `Scheduler`, or the name of a sampler: `"ddpm"`
            (ancestral), `"ddim"`, `"dpm_solver"` (DPM-Solver++ 2M),
            `"euler"`, `"heun"` (Karras sigmas), `"score_sde_vp"` or
            `"score_sde_ve"` (predictor-corrector).
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
    if isinstance(identifier, Scheduler):
        return identifier
    names = {
        "ddpm": (DDPMScheduler, {}),
        "ddim": (DDIMScheduler, {}),
        "dpm_solver": (DPMSolverMultistepScheduler, {}),
        "euler": (EulerScheduler, {}),
        "heun": (HeunScheduler, {}),
        "score_sde_vp": (ScoreSdeScheduler, {"sde": "vp"}),
        "score_sde_ve": (ScoreSdeScheduler, {"sde": "ve"}),
    }
    if not isinstance(identifier, str) or identifier not in names:
        raise ValueError(
            f"`scheduler` must be a `keras_gen.schedulers.Scheduler` or one of {sorted(names)}. "
            f"Received: scheduler={identifier!r}"
        )
    cls, settings = names[identifier]
    # `from_config` keeps the forward process and every setting the class
    # takes, and ignores the others (as diffusers' does).
    config = dict(like.get_config()) if like is not None else {}
    config.update(settings)
    return cls.from_config(config)
