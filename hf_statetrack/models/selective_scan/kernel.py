"""Autograd Functions over the compiled CPU kernels (compiled.py): the selective scan and Mamba's causal conv.

Both work channel-last: transformers hands the mixer's tensors over as (b, d, L) views of (b, L, d) memory,
so ``x.transpose(1, 2)`` is a free (b, L, d) view that the kernels read through its strides (any batch and
time stride, unit channel stride; anything else is copied first). Outputs are (b, L, d), returned as (b, d, L)
views. The scan's forward keeps one state per 32 steps (`CHUNK`), (b, L/32, N, d), instead of all (b, L, N, d);
the backward recomputes each chunk's states from it.

>>> import torch
>>> from hf_statetrack.models.selective_scan import compiled, kernel
>>> lib = compiled.library()
>>> x, w = torch.randn(2, 3, 5), torch.randn(3, 4)
>>> y = kernel.causal_conv1d_compiled(lib, x, w, None, "silu") if lib else None
>>> lib is None or y.shape == (2, 3, 5)
True
"""

from __future__ import annotations

import ctypes
import math

import torch
from torch.autograd.function import once_differentiable

from .compiled import ConvArgs, ScanArgs, Seq

CHUNK = 32


def _seq(x: torch.Tensor | None) -> tuple[torch.Tensor | None, Seq]:
    """A (batch, time, inner) tensor as the kernels read it; copied only if its inner stride is not 1."""
    if x is None:
        return None, Seq(None, 0, 0)
    if x.stride(-1) != 1:
        x = x.contiguous()
    return x, Seq(x.data_ptr(), x.stride(0), x.stride(1))


def _ptr(x: torch.Tensor | None) -> int | None:
    return None if x is None else x.data_ptr()


def _call(lib: ctypes.CDLL, name: str, dtype: torch.dtype, args) -> None:
    getattr(lib, f"{name}_{'f64' if dtype == torch.float64 else 'f32'}")(ctypes.byref(args))


class CompiledScanFn(torch.autograd.Function):
    """u, dt, z (b, L, d), A (N, d), B, C (b, L, N), D, bias (d) or None -> out (b, L, d), last state (b, d, N)."""

    @staticmethod
    def forward(ctx, lib, u, dt, A, B, C, D, z, bias, softplus: bool, negative: bool):
        (batch, length, width), state = u.shape, A.shape[0]
        out = u.new_empty(batch, length, width)
        last = u.new_empty(batch, width, state)
        ckpt = u.new_empty(batch, math.ceil(length / CHUNK), state, width)
        args = ScanArgs(batch=batch, length=length, width=width, state=state, chunk=CHUNK, groups=1,
                        threads=torch.get_num_threads(), softplus=softplus, negative=negative,
                        A=_ptr(A), D=_ptr(D), bias=_ptr(bias), out=_ptr(out), last=_ptr(last), ckpt=_ptr(ckpt))
        keep = [_seq_into(args, name, x) for name, x in (("u", u), ("dt", dt), ("z", z), ("B", B), ("C", C))]
        _call(lib, "scan_forward", u.dtype, args)
        del keep
        ctx.lib, ctx.flags = lib, (softplus, negative)
        ctx.save_for_backward(u, dt, A, B, C, D, z, bias, ckpt)
        ctx.mark_non_differentiable(last)
        return out, last

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out, _grad_last):
        u, dt, A, B, C, D, z, bias, ckpt = ctx.saved_tensors
        (batch, length, width), state = u.shape, A.shape[0]
        threads = torch.get_num_threads()
        groups = max(1, min(math.ceil(threads / batch), width // 16 + width % 16))  # enough tasks for all threads
        grads = {n: u.new_empty(batch, length, width) for n in ("du", "ddt")}
        grads["dz"] = None if z is None else u.new_empty(batch, length, width)
        grads |= {n: u.new_zeros(batch, groups, length, state) for n in ("dB", "dC")}
        grads |= {"dA": u.new_empty(batch, state, width), "dD": u.new_empty(batch, width),
                  "dbias": u.new_empty(batch, width)}
        args = ScanArgs(batch=batch, length=length, width=width, state=state, chunk=CHUNK, groups=groups,
                        threads=threads, softplus=ctx.flags[0], negative=ctx.flags[1], A=_ptr(A), D=_ptr(D),
                        bias=_ptr(bias), ckpt=_ptr(ckpt), **{n: _ptr(g) for n, g in grads.items()})
        keep = [_seq_into(args, name, x) for name, x in (("u", u), ("dt", dt), ("z", z), ("B", B), ("C", C),
                                                          ("grad_out", grad_out))]
        _call(ctx.lib, "scan_backward", u.dtype, args)
        del keep
        return (None, grads["du"], grads["ddt"], grads["dA"].sum(0), grads["dB"].sum(1), grads["dC"].sum(1),
                None if D is None else grads["dD"].sum(0), grads["dz"],
                None if bias is None else grads["dbias"].sum(0), None, None)


def _seq_into(args, name: str, x: torch.Tensor | None) -> torch.Tensor | None:
    """Set field `name` of `args` to x's view; returns the tensor to keep alive until the call returns."""
    x, seq = _seq(x)
    setattr(args, name, seq)
    return x


class CompiledConvFn(torch.autograd.Function):
    """x (b, L, d), weight (K, d), bias (d) or None -> act(causal depthwise conv) (b, L, d)."""

    @staticmethod
    def forward(ctx, lib, x, weight, bias, silu: bool):
        (batch, length, width), kernel = x.shape, weight.shape[0]
        out = x.new_empty(batch, length, width)
        args = ConvArgs(batch=batch, length=length, width=width, kernel=kernel, threads=torch.get_num_threads(),
                        silu=silu, weight=_ptr(weight), bias=_ptr(bias), out=_ptr(out))
        keep = _seq_into(args, "x", x)
        _call(lib, "conv_forward", x.dtype, args)
        del keep
        ctx.lib, ctx.silu = lib, silu
        ctx.save_for_backward(x, weight, bias)
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, grad_out):
        x, weight, bias = ctx.saved_tensors
        (batch, length, width), kernel = x.shape, weight.shape[0]
        dx, dw = x.new_zeros(batch, length, width), x.new_empty(batch, kernel, width)
        dbias = None if bias is None else x.new_empty(batch, width)
        args = ConvArgs(batch=batch, length=length, width=width, kernel=kernel, threads=torch.get_num_threads(),
                        silu=ctx.silu, weight=_ptr(weight), bias=_ptr(bias), dx=_ptr(dx), dw=_ptr(dw),
                        dbias=_ptr(dbias))
        keep = [_seq_into(args, "x", x), _seq_into(args, "grad_out", grad_out)]
        _call(ctx.lib, "conv_backward", x.dtype, args)
        del keep
        return None, dx, dw.sum(0), None if dbias is None else dbias.sum(0), None


def compute_dtype(x: torch.Tensor) -> torch.dtype:
    return torch.float64 if x.dtype == torch.float64 else torch.float32


def selective_scan_compiled(lib, hidden_states, dt, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                            return_last_state=False, negative_eigenvalues=False):
    """transformers' shapes (hidden_states, dt, z (b, d, L), A (d, N), B, C (b, N, L)) -> (b, d, L) [, (b, d, N)]."""
    dtype = compute_dtype(hidden_states)

    def channel_last(x):  # (b, d, L) -> (b, L, d) view
        return None if x is None else x.to(dtype).transpose(1, 2)

    def vector(x):
        return None if x is None else x.to(dtype).contiguous()

    out, last = CompiledScanFn.apply(lib, channel_last(hidden_states), channel_last(dt), A.to(dtype).t().contiguous(),
                                     channel_last(B), channel_last(C), vector(D), channel_last(z), vector(delta_bias),
                                     bool(delta_softplus), bool(negative_eigenvalues))
    out = out.transpose(1, 2).to(hidden_states.dtype)  # (b, d, L)
    return (out, last) if return_last_state else out


def causal_conv1d_compiled(lib, hidden_states, weight, bias=None, activation=None):
    """(b, d, L) input, weight (d, K), bias (d) -> (b, d, L), activation None or "silu"/"swish"."""
    out = CompiledConvFn.apply(lib, hidden_states.transpose(1, 2), weight.t().contiguous(),
                               None if bias is None else bias.contiguous(), activation in ("silu", "swish"))
    return out.transpose(1, 2)
