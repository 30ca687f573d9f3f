"""NIR's weight-like nodes as sparse matrices over flattened activations (channel-major, as torch).

Between two neuron layers a graph may chain Linear/Affine, Scale, Conv1d/Conv2d, SumPool2d/AvgPool2d
and Flatten nodes; each is linear (plus a constant bias), so their product is one [out, in] matrix
that the Brian2 builder turns into synapses, and their biases one constant current per neuron.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bioaware.core.errors import BioawareError


def _pair(value, dims: int = 2) -> tuple[int, ...]:
    value = np.asarray(value).reshape(-1)
    return tuple(int(value[min(k, value.size - 1)]) for k in range(dims))


def _window_map(in_shape, out_channels, kernel, stride, padding, weight_of, dilation=(1, 1),
                groups: int = 1, input_dilation=(1, 1)) -> tuple[sp.csr_matrix, tuple]:
    """Sparse matrix of a 2-D sliding window: output (o, y, x) sums weight_of(o, c, ky, kx) ·
    input (g·C/G + c, y', x') over the C/G input channels c of output o's group g. With `input_dilation`
    (di, dj) the window slides over the input with di − 1 (dj − 1) zeros between its rows (columns)."""
    c_in, h_real, w_real = in_shape
    (kh, kw), (sh, sw), (ph, pw), (dh, dw), (ih, iw) = kernel, stride, padding, dilation, input_dilation
    h, w = (h_real - 1) * ih + 1, (w_real - 1) * iw + 1
    h_out, w_out = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1, (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    if h_out < 1 or w_out < 1:
        raise ValueError(f"a {kh}×{kw} window does not fit an input of {h}×{w} (padding {ph}, {pw})")
    per_group = c_in // groups
    o, c, ky, kx, y, x = np.meshgrid(np.arange(out_channels), np.arange(per_group), np.arange(kh), np.arange(kw),
                                     np.arange(h_out), np.arange(w_out), indexing="ij")
    yy, xx = y * sh + ky * dh - ph, x * sw + kx * dw - pw
    inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w) & (yy % ih == 0) & (xx % iw == 0)
    weights = weight_of(o, c, ky, kx)
    keep = inside & (weights != 0)
    channel = (o // max(out_channels // groups, 1)) * per_group + c
    rows = ((o * h_out + y) * w_out + x)[keep]
    cols = ((channel * h_real + yy // ih) * w_real + xx // iw)[keep]
    matrix = sp.csr_matrix((weights[keep], (rows, cols)),
                           shape=(out_channels * h_out * w_out, c_in * h_real * w_real))
    return matrix, (out_channels, h_out, w_out)


def conv_matrix(geometry) -> sp.csr_matrix:
    """Sparse [out, in] matrix of a convolution (a `ConvGeometry`)."""
    kernel = geometry.kernel
    return _window_map(geometry.in_shape, kernel.shape[0], kernel.shape[2:], (geometry.stride,) * 2,
                       (geometry.padding,) * 2, lambda o, c, ky, kx: kernel[o, c, ky, kx],
                       input_dilation=(geometry.input_dilation,) * 2)[0]


def _padding(padding, kernel, dilation, dims: int) -> tuple[int, ...]:
    """NIR padding (number, pair or 'same'/'valid') as per-dimension zero padding."""
    if isinstance(padding, (str, bytes)):
        padding = padding.decode() if isinstance(padding, bytes) else padding
        if padding == "valid":
            return (0,) * dims
        if padding == "same":
            return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation))
        raise ValueError(f"padding {padding!r} is neither a number, 'same' nor 'valid'")
    return _pair(padding, dims)


def _conv(node, in_shape, dims: int) -> tuple[sp.csr_matrix, tuple, np.ndarray]:
    weight = np.asarray(node.weight, dtype=np.float64)
    groups = int(node.groups)
    if weight.ndim != dims + 2:
        raise ValueError(f"kernel of shape {weight.shape} is not a {dims}-D convolution kernel")
    if dims == 1:  # a 1-D convolution is a 2-D one of height 1
        weight, in_shape = weight[:, :, None, :], (in_shape[0], 1, in_shape[1])
    if weight.shape[1] * groups != in_shape[0]:
        raise ValueError(f"kernel for {weight.shape[1]}×{groups} channels after {in_shape[0]} channels")
    dilation = (1, *_pair(node.dilation, 1)) if dims == 1 else _pair(node.dilation)
    stride = (1, *_pair(node.stride, 1)) if dims == 1 else _pair(node.stride)
    padding = _padding(node.padding, weight.shape[2:][-dims:], dilation[-dims:], dims)
    padding = (0, *padding) if dims == 1 else padding
    spread = _input_dilation(node, dims)
    matrix, shape = _window_map(in_shape, weight.shape[0], weight.shape[2:], stride, padding,
                                lambda o, c, ky, kx: weight[o, c, ky, kx], dilation, groups, spread)
    bias = np.repeat(np.broadcast_to(np.asarray(node.bias, dtype=np.float64).reshape(-1), (weight.shape[0],)),
                     shape[1] * shape[2])
    return matrix, (shape[0], shape[2]) if dims == 1 else shape, bias


def _input_dilation(node, dims: int) -> tuple[int, int]:
    """Zeros between input pixels, plus one: the `input_dilation` that `nir_graph.parse_graph` sets on a Conv node
    from the graph's metadata (NIR 1.0 has no transposed convolution: bioaware writes one as the equal
    convolution over the input spread apart this way)."""
    value = getattr(node, "input_dilation", 1)
    spread = _pair(value, dims)
    if min(spread) < 1:
        raise ValueError(f"metadata input_dilation must be ≥ 1, got {value!r}")
    return (1, *spread) if dims == 1 else spread


def _pool(node, in_shape, average: bool) -> tuple[sp.csr_matrix, tuple, None]:
    kernel = _pair(node.kernel_size)
    scale = 1.0 / (kernel[0] * kernel[1]) if average else 1.0
    window = lambda o, c, ky, kx: np.where(c == 0, scale, 0.0)  # noqa: E731  channel-wise (groups = channels)
    matrix, shape = _window_map(in_shape, in_shape[0], kernel, _pair(node.stride), _pair(node.padding), window,
                                groups=in_shape[0])
    return matrix, shape, None


def _flatten_shape(node, in_shape) -> tuple:
    out = getattr(node, "output_type", None) or {}
    out = out.get("output")
    if out is not None and np.asarray(out).size and int(np.prod(out)) == int(np.prod(in_shape)):
        return tuple(int(v) for v in np.asarray(out).reshape(-1))
    return (int(np.prod(in_shape)),)


def node_map(node, in_shape: tuple, name: str, path) -> tuple[sp.csr_matrix, tuple, np.ndarray | None]:
    """(matrix [out, in], output shape, bias per output or None) of one weight-like NIR node."""
    import nir

    size = int(np.prod(in_shape))
    for attr in ("weight", "bias", "scale"):
        value = getattr(node, attr, None)
        if value is not None and not np.all(np.isfinite(np.asarray(value, dtype=np.float64))):
            raise BioawareError(f"{path}: node '{name}' has NaN or infinite {'weights' if attr == 'weight' else attr}")
    try:
        if isinstance(node, (nir.Linear, nir.Affine)):
            weight = np.asarray(node.weight, dtype=np.float64)
            if weight.ndim != 2 or weight.shape[1] != size:
                raise ValueError(f"weight {weight.shape} after a layer of {size}")
            bias = np.asarray(node.bias, dtype=np.float64).reshape(-1) if isinstance(node, nir.Affine) else None
            if bias is not None and bias.size not in (1, weight.shape[0]):
                raise ValueError(f"{bias.size} biases for {weight.shape[0]} outputs")
            bias = None if bias is None else np.broadcast_to(bias, (weight.shape[0],)).copy()
            return sp.csr_matrix(weight), (weight.shape[0],), bias
        if isinstance(node, nir.Scale):
            scale = np.asarray(node.scale, dtype=np.float64).reshape(-1)
            if scale.size not in (1, size):
                raise ValueError(f"{scale.size} scale factors for {size} inputs")
            return sp.diags(np.broadcast_to(scale, (size,))).tocsr(), tuple(in_shape), None
        if isinstance(node, nir.Flatten):
            return sp.identity(size, format="csr"), _flatten_shape(node, in_shape), None
        if isinstance(node, nir.Conv1d):
            if len(in_shape) != 2:
                raise ValueError(f"needs (channels, length) input, got shape {tuple(in_shape)}")
            return _conv(node, in_shape, 1)
        if len(in_shape) != 3:
            raise ValueError(f"needs (channels, height, width) input, got shape {tuple(in_shape)}")
        if isinstance(node, nir.Conv2d):
            return _conv(node, in_shape, 2)
        if isinstance(node, (nir.SumPool2d, nir.AvgPool2d)):
            return _pool(node, in_shape, isinstance(node, nir.AvgPool2d))
    except (ValueError, TypeError, IndexError) as exc:
        raise BioawareError(f"{path}: shape mismatch at '{name}': {exc}") from None
    raise BioawareError(f"{path}: node '{name}' is a {type(node).__name__}, which is not a weight node")


def linear_map(node, in_shape: tuple, name: str, path) -> tuple[sp.csr_matrix, tuple]:
    """(matrix [out, in], output shape) of a weight-like node without bias (bioaware's layer specs)."""
    matrix, shape, bias = node_map(node, in_shape, name, path)
    if bias is not None and np.any(bias != 0):
        raise BioawareError(f"{path}: node '{name}' has a non-zero bias, which these models do not use")
    return matrix, shape
