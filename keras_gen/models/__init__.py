"""The keras_gen models: one folder per family."""

from keras_gen.models.aae.aae import AAE
from keras_gen.models.aae.label_prior import LabelPriorAAE
from keras_gen.models.aae.semi_supervised import SemiSupervisedAAE
from keras_gen.models.autoencoder.autoencoder import AutoEncoder
from keras_gen.models.beta_tcvae.beta_tcvae import BetaTCVAE
from keras_gen.models.cyclegan.cyclegan import CycleGAN
from keras_gen.models.ddpm.ddpm import DDPM
from keras_gen.models.flow_matching.flow_matching import FlowMatching
from keras_gen.models.flow_matching.latent_flow_matching import (
    LatentFlowMatching,
)
from keras_gen.models.gan.gan import GAN
from keras_gen.models.gan.wgan_gp import WGANGP
from keras_gen.models.generative_model import GenerativeModel
from keras_gen.models.latent_diffusion.latent_diffusion import LatentDiffusion
from keras_gen.models.multi_optimizer_model import MultiOptimizerModel
from keras_gen.models.progan.progan import ProgressiveGAN
from keras_gen.models.real_nvp.real_nvp import RealNVP
from keras_gen.models.stylegan2.stylegan2 import StyleGAN2
from keras_gen.models.vae.vae import VAE
from keras_gen.models.vq_vae.vq_vae import VQVAE
from keras_gen.models.vq_vae.vq_vae_prior import VQVAEPrior
