"""What ch08's two graders share: the library normalizations neither may call, the book's hyperparameters, and
the book's batch statistics (8.5.3)."""
import torch

# Every library normalization: each can compute batch norm (layer/group/instance norm of a transposed X do)
NORM_FUNCTIONS = ["batch_norm", "instance_norm", "layer_norm", "group_norm", "rms_norm", "native_batch_norm",
                  "_native_batch_norm_legit", "_native_batch_norm_legit_no_training", "_batch_norm_impl_index",
                  "_batch_norm_with_update", "_batch_norm_no_update", "cudnn_batch_norm", "miopen_batch_norm",
                  "native_layer_norm", "native_group_norm", "batch_norm_elemt", "batch_norm_stats",
                  "batch_norm_gather_stats", "batch_norm_gather_stats_with_counts", "batch_norm_update_stats"]
NORM_ATEN = ["batch_norm", "native_batch_norm", "_native_batch_norm_legit", "_native_batch_norm_legit_functional",
             "_native_batch_norm_legit_no_training", "_batch_norm_impl_index", "_batch_norm_with_update",
             "_batch_norm_with_update_functional", "_batch_norm_no_update", "cudnn_batch_norm", "miopen_batch_norm",
             "native_layer_norm", "native_group_norm", "_fused_rms_norm", "batch_norm_elemt", "batch_norm_stats",
             "batch_norm_gather_stats", "batch_norm_gather_stats_with_counts", "batch_norm_update_stats"]
BANNED = {"functions": NORM_FUNCTIONS, "aten": NORM_ATEN}
EPS, MOMENTUM = 1e-5, 0.1   # what the book's BatchNorm layer passes to batch_norm


def param_shape(num_features, num_dims):
    """gamma, beta and the moving statistics: (1, d) after a fully connected layer, (1, c, 1, 1) after a
    convolutional one."""
    return (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)


def stat_dims(X):
    return (0,) if X.dim() == 2 else (0, 2, 3)


def batch_stats(X):
    """Mean and biased variance per feature (2-D X) or per channel (4-D X), shaped like the parameters."""
    var, mean = torch.var_mean(X, dim=stat_dims(X), keepdim=True, correction=0)
    return mean, var


def normalized(X, gamma, beta, mean, var, eps):
    """Y = gamma * X_hat + beta with X_hat = (X - mean) / sqrt(var + eps)."""
    return gamma * (X - mean) / torch.sqrt(var + eps) + beta
