"""Independent numpy references for the heads (used by several test files)."""

import numpy as np


def rope_numpy(x, max_wavelength=10000.0):
    """RoPE via complex numbers: pair (x[2i], x[2i+1]) times exp(1j * pos * w_i).

    x: [batch, length, ..., dim].
    """
    x = np.asarray(x, np.float64)
    dim = x.shape[-1]
    pairs = x[..., 0::2] + 1j * x[..., 1::2]
    w = max_wavelength ** (-2.0 * np.arange(dim // 2) / dim)
    positions = np.arange(x.shape[1]).reshape([1, -1] + [1] * (x.ndim - 2))
    rotated = pairs * np.exp(1j * positions * w)
    out = np.empty_like(x)
    out[..., 0::2], out[..., 1::2] = rotated.real, rotated.imag
    return out


def valid_cells(mask, length, tril_mask=True):
    """[batch, 1, length, length] bool: both tokens unmasked (and start <= end)."""
    mask = np.ones((1, length), bool) if mask is None else np.asarray(mask).astype(bool)
    cells = mask[:, None, :, None] & mask[:, None, None, :]
    if tril_mask:
        cells = cells & np.triu(np.ones((length, length), bool))[None, None]
    return cells


def global_pointer_numpy(hidden, kernel, bias, num_types, head_size, rope=True):
    """Unmasked GlobalPointer scores [batch, types, length, length]."""
    projected = np.asarray(hidden, np.float64) @ kernel + bias
    batch, length = projected.shape[:2]
    projected = projected.reshape(batch, length, num_types, 2, head_size)
    q, k = projected[..., 0, :], projected[..., 1, :]
    if rope:
        q, k = rope_numpy(q), rope_numpy(k)
    return np.einsum("bmtd,bntd->btmn", q, k) / np.sqrt(head_size)


def efficient_global_pointer_numpy(
    hidden, qk_kernel, qk_bias, bias_kernel, bias_bias, num_types, head_size, rope=True
):
    """Unmasked EfficientGlobalPointer scores [batch, types, length, length]."""
    h = np.asarray(hidden, np.float64) @ qk_kernel + qk_bias
    q, k = h[..., :head_size], h[..., head_size:]
    if rope:
        q, k = rope_numpy(q), rope_numpy(k)
    scores = np.einsum("bmd,bnd->bmn", q, k) / np.sqrt(head_size)
    type_bias = (h @ bias_kernel + bias_bias) / 2  # [batch, length, 2 * types]
    start = type_bias[..., :num_types].transpose(0, 2, 1)[:, :, :, None]
    end = type_bias[..., num_types:].transpose(0, 2, 1)[:, :, None, :]
    return scores[:, None] + start + end


def multilabel_loss_numpy(labels, logits, valid):
    """log(1 + sum_pos e^-s) + log(1 + sum_neg e^s) per (example, type), averaged."""
    labels = np.asarray(labels) > 0.5
    logits = np.asarray(logits, np.float64)
    valid = np.broadcast_to(valid, logits.shape)
    losses = []
    for b in range(logits.shape[0]):
        for t in range(logits.shape[1]):
            s, y, v = logits[b, t], labels[b, t], valid[b, t]
            pos = np.sum(np.exp(-s[y & v]))
            neg = np.sum(np.exp(s[~y & v]))
            losses.append(np.log1p(pos) + np.log1p(neg))
    return float(np.mean(losses))
