"""Diffusion schedulers: the forward process and the reverse-step samplers,
as objects separate from the denoiser (as in diffusers)."""

from keras_gen.schedulers.beta_schedules import make_betas
from keras_gen.schedulers.beta_schedules import rescale_zero_terminal_snr
from keras_gen.schedulers.ddim_scheduler import DDIMScheduler
from keras_gen.schedulers.ddpm_scheduler import DDPMScheduler
from keras_gen.schedulers.scheduler import Scheduler
from keras_gen.schedulers.scheduler import spaced_timesteps
from keras_gen.schedulers.training import min_snr_loss_weights
from keras_gen.schedulers.training import offset_noise
