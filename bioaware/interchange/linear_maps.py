"""NIR's weight-like nodes as sparse matrices over flattened activations (channel-major, as torch).

Between two neuron layers a graph may chain Linear/Affine, Conv2d, SumPool2d and Flatten nodes; each
is linear, so their product is one [out, in] matrix that the Brian2 builder turns into synapses.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bioaware.errors import BioawareError


def _pair(value) -> tuple[int, int]:
    value = np.asarray(value).reshape(-1)
    return (int(value[0]), int(value[-1]))


def _window_map(in_shape, out_channels, kernel, stride, padding, weight_of) -> tuple[sp.csr_matrix, tuple]:
    """Sparse matrix of a 2-D sliding window: output (o, y, x) sums weight_of(o, c, ky, kx) · input (c, y', x')."""
    c_in, h, w = in_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    h_out, w_out = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    rows, cols, vals = [], [], []
    o, c, ky, kx, y, x = np.meshgrid(np.arange(out_channels), np.arange(c_in), np.arange(kh), np.arange(kw),
                                     np.arange(h_out), np.arange(w_out), indexing="ij")
    yy, xx = y * sh + ky - ph, x * sw + kx - pw
    inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
    weights = weight_of(o, c, ky, kx)
    keep = inside & (weights != 0)
    rows = ((o * h_out + y) * w_out + x)[keep]
    cols = ((c * h + yy) * w + xx)[keep]
    vals = weights[keep]
    matrix = sp.csr_matrix((vals, (rows, cols)), shape=(out_channels * h_out * w_out, c_in * h * w))
    return matrix, (out_channels, h_out, w_out)


def conv_matrix(geometry) -> sp.csr_matrix:
    """Sparse [out, in] matrix of a stride-1 convolution (a `ConvGeometry`)."""
    kernel = geometry.kernel
    pad = (geometry.padding, geometry.padding)
    return _window_map(geometry.in_shape, kernel.shape[0], kernel.shape[2:], (1, 1), pad,
                       lambda o, c, ky, kx: kernel[o, c, ky, kx])[0]


def linear_map(node, in_shape: tuple, name: str, path) -> tuple[sp.csr_matrix, tuple]:
    """(matrix [out, in], output shape) of one weight-like NIR node applied to activations of `in_shape`."""
    import nir

    size = int(np.prod(in_shape))
    if isinstance(node, (nir.Linear, nir.Affine)):
        weight = np.asarray(node.weight, dtype=np.float64)
        if isinstance(node, nir.Affine) and np.any(np.asarray(node.bias) != 0):
            raise BioawareError(f"{path}: node '{name}' has a non-zero bias, which these models do not use")
        if weight.ndim != 2 or weight.shape[1] != size:
            raise BioawareError(f"{path}: shape mismatch at '{name}': weight {weight.shape} after a layer of {size}")
        return sp.csr_matrix(weight), (weight.shape[0],)
    if isinstance(node, nir.Flatten):
        return sp.identity(size, format="csr"), (size,)
    if len(in_shape) != 3:
        raise BioawareError(f"{path}: node '{name}' needs (channels, height, width) input, got shape {tuple(in_shape)}")
    if isinstance(node, nir.Conv2d):
        weight = np.asarray(node.weight, dtype=np.float64)
        if node.groups != 1 or _pair(node.dilation) != (1, 1) or isinstance(node.padding, str):
            raise BioawareError(f"{path}: node '{name}': only groups = 1, dilation = 1 and numeric padding are supported")
        if weight.shape[1] != in_shape[0]:
            raise BioawareError(f"{path}: shape mismatch at '{name}': kernel for {weight.shape[1]} channels "
                                f"after {in_shape[0]}")
        if np.any(np.asarray(node.bias) != 0):
            raise BioawareError(f"{path}: node '{name}' has a non-zero bias, which these models do not use")
        return _window_map(in_shape, weight.shape[0], weight.shape[2:], _pair(node.stride), _pair(node.padding),
                           lambda o, c, ky, kx: weight[o, c, ky, kx])
    if isinstance(node, nir.SumPool2d):
        kernel = _pair(node.kernel_size)
        ones = lambda o, c, ky, kx: (o == c).astype(np.float64)  # noqa: E731  channel-wise sum
        return _window_map(in_shape, in_shape[0], kernel, _pair(node.stride), _pair(node.padding), ones)
    raise BioawareError(f"{path}: node '{name}' is a {type(node).__name__}, which is not a weight node")
