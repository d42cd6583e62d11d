"""What the ch07 graders share: the library ops that the from-scratch exercises re-implement, and torch's own
convolutions and pooling in float64 as the truth (a GPU's TF32 convolutions would make the expected values less
exact than the answers they judge)."""
from __future__ import annotations

import torch
import torch.nn.functional as F

_CONV = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
         "convolution", "_convolution", "conv_tbc"]
_CONV_ATEN = _CONV + ["_convolution_mode", "convolution_overrideable", "cudnn_convolution", "mkldnn_convolution",
                      "miopen_convolution", "_slow_conv2d_forward", "thnn_conv2d", "_nnpack_spatial_convolution",
                      "_conv_depthwise2d", "conv_depthwise3d", "slow_conv3d"]
# "unfold" is both F.unfold (im2col) and Tensor.unfold (sliding windows): either cuts out the windows
CONV_BANNED = {"functions": _CONV + ["unfold", "fold", "im2col", "col2im"],
               "aten": _CONV_ATEN + ["im2col", "col2im", "unfold"]}
_POOL = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d",
         "max_pool1d_with_indices", "max_pool2d_with_indices", "max_pool3d_with_indices",
         "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
         "lp_pool1d", "lp_pool2d", "fractional_max_pool2d"]
# pooling is a window operation too: the convolutions (an average is a convolution with 1 / (p_h p_w)) and
# the window cutters are banned with it
POOL_BANNED = {"functions": _POOL + CONV_BANNED["functions"],
               "aten": _POOL + ["_adaptive_avg_pool2d", "mkldnn_max_pool2d", "quantized_max_pool2d",
                                "_mps_max_pool2d", "mps_max_pool2d_backward"] + CONV_BANNED["aten"]}

DEVICE_HINT = ("make every new tensor like X: torch.zeros(shape, dtype=X.dtype, device=X.device) (the book's "
               "torch.zeros((...)) is float32 on the CPU), and keep the values as tensors (no .item() or float()).")


def xcorr(X, K, **kw):
    """F.conv2d (a cross-correlation: no flip) of a batch-free X (c_i, h, w) with K (c_o, c_i, k_h, k_w), in
    float64, returned in X's dtype."""
    return F.conv2d(X[None].double(), K.double(), **kw)[0].to(X.dtype)


def corr2d_truth(X, K):
    """Two-dimensional: corr2d(X, K) for X (h, w) and K (k_h, k_w)."""
    return xcorr(X[None], K[None, None])[0]


def correlated(X, K):
    """corr2d_multi_in(X, K) for X (c_i, h, w) and K (c_i, k_h, k_w): the channels' cross-correlations, summed."""
    return xcorr(X, K[None])[0]


def out_hw(X, K):
    return (X.shape[-2] - K.shape[-2] + 1, X.shape[-1] - K.shape[-1] + 1)
