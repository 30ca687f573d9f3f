"""The trained FSVAE at inference as layer specs: each tdBN folded into its layer's weights and a per-step bias
(batch statistics replaced by the running ones, as in evaluation), transposed convolutions as their equal
convolutions over the input spread apart. Four chains: encoder (analog image → latent-input spikes x^E),
posterior MLP ([x^E, z] → k·C spikes), prior MLP (z → k·C spikes), decoder (z → readout membrane)."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from bioaware.core.layers import ConvGeometry, DenseSpikingLayer, transposed_as_conv
from bioaware.interchange.linear_maps import conv_matrix
from bioaware.models.fsvae import FSVAE, SpikingLayer, SpikingMLP


def folded(layer: SpikingLayer) -> tuple[np.ndarray, np.ndarray]:
    """(weight in the layer's own layout, bias per output channel) of a layer with its tdBN folded in."""
    norm = layer.norm
    scale = (norm.scale / torch.sqrt(norm.running_var + norm.eps)).detach().double()
    shift = norm.bias.detach().double() - norm.running_mean.double() * scale
    weight = layer.layer.weight.detach().double()
    if isinstance(layer.layer, nn.ConvTranspose2d):  # [in, out, kh, kw]
        weight = weight * scale[None, :, None, None]
    else:  # Conv2d [out, in, kh, kw] or Linear [out, in]
        weight = weight * scale.reshape(-1, *([1] * (weight.dim() - 1)))
    if layer.layer.bias is not None:
        shift = shift + layer.layer.bias.detach().double() * scale
    return weight.numpy(), shift.numpy()


def _conv_spec(name: str, geometry: ConvGeometry, channel_bias: np.ndarray, leak: float, v_th: float,
               readout: bool = False) -> DenseSpikingLayer:
    size = int(np.prod(geometry.out_shape[1:]))
    return DenseSpikingLayer(name, conv_matrix(geometry), leak, v_th, conv=geometry, readout=readout,
                             bias=np.repeat(channel_bias, size))


def encoder_layers(model: FSVAE) -> list[DenseSpikingLayer]:
    """conv1 … convN (stride 2) and `latent` (linear): the analog image [1, S, S] → x^E [C]."""
    leak, v_th = 1.0 - model.p.tau, model.p.v_th
    shape, specs = (model.readout.weight.shape[0], model.size, model.size), []
    for k, layer in enumerate(model.encoder, 1):
        weight, bias = folded(layer)
        conv = layer.layer
        geometry = ConvGeometry(weight, shape, conv.padding[0], conv.stride[0])
        specs.append(_conv_spec(f"conv{k}", geometry, bias, leak, v_th))
        shape = geometry.out_shape
    weight, bias = folded(model.to_latent)
    specs.append(DenseSpikingLayer("latent", weight, leak, v_th, bias=bias))
    return specs


def mlp_layers(mlp: SpikingMLP) -> list[DenseSpikingLayer]:
    """fc1 … fcN of a posterior or prior MLP (linear with bias, tdBN folded in)."""
    specs = []
    for k, layer in enumerate(mlp.layers, 1):
        weight, bias = folded(layer)
        specs.append(DenseSpikingLayer(f"fc{k}", weight, 1.0 - layer.p.tau, layer.p.v_th, bias=bias))
    return specs


def decoder_layers(model: FSVAE) -> list[DenseSpikingLayer]:
    """`expand` (linear), up1 … upN (transposed convolutions, stride 2) and `readout` (LI): z [C] → membrane."""
    leak, v_th = 1.0 - model.p.tau, model.p.v_th
    weight, bias = folded(model.from_latent)
    channels = model.decoder[0].layer.weight.shape[0]
    shape = (channels, model.side, model.side)
    specs = [DenseSpikingLayer("expand", weight, leak, v_th, bias=bias, neuron_shape=shape)]
    for k, layer in enumerate(model.decoder, 1):
        weight, bias = folded(layer)
        conv = layer.layer
        geometry = transposed_as_conv(weight, shape, conv.stride[0], conv.padding[0], conv.output_padding[0])
        specs.append(_conv_spec(f"up{k}", geometry, bias, leak, v_th))
        shape = geometry.out_shape
    readout = model.readout
    geometry = ConvGeometry(readout.weight.detach().double().numpy(), shape, readout.padding[0])
    specs.append(_conv_spec("readout", geometry, readout.bias.detach().double().numpy(),
                            1.0 - model.p.readout_decay, v_th, readout=True))
    return specs
