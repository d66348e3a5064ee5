"""RealNVP (Dinh et al., 2017): a normalising flow of affine couplings."""

from keras_gen.models.real_nvp.actnorm import ActNorm
from keras_gen.models.real_nvp.coupling import AffineCoupling
from keras_gen.models.real_nvp.logit import LogitTransform
from keras_gen.models.real_nvp.real_nvp import RealNVP
from keras_gen.models.real_nvp.squeeze import Squeeze
