from keras_gen.models.ddpm.ddpm import DDPM
from keras_gen.models.ddpm.networks import build_mlp_denoiser
from keras_gen.models.ddpm.networks import build_unet
