"""Evaluation metrics."""

from keras_gen.metrics.bits_per_dim import BitsPerDim, bits_per_dim
from keras_gen.metrics.class_accuracy import requested_class_accuracy
from keras_gen.metrics.classifiers import (
    SHIPPED_CLASSIFIERS,
    shipped_classifier,
)
from keras_gen.metrics.digits_cnn import digits_classifier, digits_features
from keras_gen.metrics.digits_probe import DigitsProbe
from keras_gen.metrics.disentanglement import mutual_information_gap
from keras_gen.metrics.domain_classifier import DomainClassifier
from keras_gen.metrics.evaluation import METRIC_NAMES, evaluate, get_metric
from keras_gen.metrics.fashion_mnist_cnn import fashion_mnist_classifier
from keras_gen.metrics.floor import real_data_floor
from keras_gen.metrics.frechet_distance import FrechetDistance, frechet_distance
from keras_gen.metrics.inception import inception_v3_features
from keras_gen.metrics.inception_score import InceptionScore, inception_score
from keras_gen.metrics.kernel_distance import KernelDistance, polynomial_mmd
from keras_gen.metrics.mmd import gaussian_mmd
from keras_gen.metrics.mode_coverage import mode_coverage
from keras_gen.metrics.mode_coverage_metric import ModeCoverage
from keras_gen.metrics.parzen import parzen_log_likelihood, parzen_log_prob
from keras_gen.metrics.precision_recall import PrecisionRecall
