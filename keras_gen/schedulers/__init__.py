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
from keras_gen.schedulers.dpm_solver_scheduler import DPMSolverMultistepScheduler
from keras_gen.schedulers.euler_scheduler import EulerScheduler
from keras_gen.schedulers.heun_scheduler import HeunScheduler
from keras_gen.schedulers.score_sde_scheduler import ScoreSdeScheduler
from keras_gen.schedulers.sigma_scheduler import SigmaScheduler
from keras_gen.schedulers.sigma_scheduler import karras_sigmas
from keras_gen.schedulers.sampling import run_reverse_process
