"""A selective scan with a hand-written backward, for Mamba where the mamba-ssm kernels are absent.

The recurrence, per batch row, channel d and state index n::

    h_t = decay_t * h_{t-1} + du_t * B_t          decay_t = exp(dt_t * A)  (any values, e.g. (-1, 1))
    y_t = sum_n C_t[n] * h_t[n]

transformers' PyTorch fallback indexes ``discrete_A[:, :, t]`` every step, and each such select
backpropagates a zero tensor of the full (b, d, L, N) size: the backward is quadratic in L. Here
the loop runs over contiguous time-major slices, the forward saves only the states, and the backward
runs the adjoint recurrence in reverse time:

    lam_t = decay_{t+1} * lam_{t+1} + C_t g_t      (lam = dLoss/dh, g = dLoss/dy)
    dDecay_t = lam_t * h_{t-1},  d(du)_t = sum_n lam_t B_t,  dB_t = sum_d lam_t du_t,  dC_t = sum_d h_t g_t

so each step is one multiply and one rank-1 update on a (b, N, d) block; every reduction happens
once, vectorised, after the loop. `selective_scan_reference` is the plain loop it is tested against.
This is the scan wherever the compiled kernel (kernel.py) is not used: HF_STATETRACK_SCAN=torch, no C++
compiler, or a GPU without mamba-ssm.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class SelectiveScanFn(torch.autograd.Function):
    """Time-major core: dt and du (L, b, d), A (N, d), B and C (L, b, N) -> y (L, b, d) and the last state.

    The decays exp(dt A) (or 2 exp(dt A) - 1) are formed and differentiated inside, so the full-size
    (L, b, N, d) tensors are the decays, the states and one adjoint buffer, nothing else."""

    @staticmethod
    def forward(ctx, dt, A, du, B, C, negative_eigenvalues: bool):
        decay = (dt.unsqueeze(2) * A).exp_()  # (L, b, 1, d) * (N, d) -> (L, b, N, d)
        if negative_eigenvalues:
            decay.mul_(2).sub_(1)
        states = torch.empty_like(decay)  # each step writes its slice in place, no copies
        h = torch.zeros_like(decay[0])
        for t in range(len(decay)):
            torch.mul(decay[t], h, out=states[t])
            h = states[t].baddbmm_(B[t].unsqueeze(-1), du[t].unsqueeze(1))  # + B_t du_t^T, (b, N, d)
        y = torch.matmul(C.unsqueeze(2), states).squeeze(2)  # (L, b, 1, N) @ (L, b, N, d) -> (L, b, d)
        ctx.save_for_backward(dt, A, du, B, C, decay, states)
        ctx.negative_eigenvalues = negative_eigenvalues
        last = h.clone()
        ctx.mark_non_differentiable(last)
        return y, last

    @staticmethod
    def backward(ctx, grad_y, _grad_last_state):
        dt, A, du, B, C, decay, states = ctx.saved_tensors
        lam_all = torch.empty_like(states)
        lam = torch.zeros_like(states[0])
        for t in range(len(decay) - 1, -1, -1):
            if t + 1 < len(decay):
                torch.mul(lam, decay[t + 1], out=lam_all[t])
            else:
                lam_all[t].zero_()
            lam = lam_all[t].baddbmm_(C[t].unsqueeze(-1), grad_y[t].unsqueeze(1))  # + C_t g_t^T
        grad_du = torch.matmul(B.unsqueeze(2), lam_all).squeeze(2)  # (L, b, d)
        grad_B = torch.matmul(lam_all, du.unsqueeze(-1)).squeeze(-1)  # (L, b, N)
        grad_C = torch.matmul(states, grad_y.unsqueeze(-1)).squeeze(-1)  # (L, b, N)
        # Reuse lam_all in place: dDecay_t = lam_t h_{t-1}, then through the decay to d(dt A).
        grad = lam_all
        grad[1:] *= states[:-1]
        grad[0].zero_()  # h_{-1} = 0
        if ctx.negative_eigenvalues:  # d(2 e^x - 1)/dx = 2 e^x, recomputed: decay + 1 cancels near decay = -1
            grad.mul_((dt.unsqueeze(2) * A).exp_()).mul_(2)
        else:
            grad.mul_(decay)  # d(e^x)/dx = e^x = decay
        grad_A = (grad * dt.unsqueeze(2)).sum((0, 1))  # (N, d)
        grad_dt = grad.mul_(A).sum(2)  # (L, b, d)
        return grad_dt, grad_A, grad_du, grad_B, grad_C, None


def discretize(hidden_states, dt, delta_bias=None, delta_softplus=False):
    """(b, d, L) inputs -> time-major dt and du = dt * x, both (L, b, d) float32 and contiguous."""
    dt = dt.float()
    if delta_bias is not None:
        dt = dt + delta_bias.float()[..., None]
    if delta_softplus:
        dt = F.softplus(dt)
    dt_tm = dt.permute(2, 0, 1).contiguous()  # (L, b, d): contiguous time slices for the loop
    return dt_tm, (dt_tm * hidden_states.float().permute(2, 0, 1)).contiguous()


def selective_scan_torch(hidden_states, dt, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                   return_last_state=False, negative_eigenvalues=False, **kwargs):
    """Drop-in for transformers' ``mamba_selective_scan`` (same shapes: hidden_states, dt and z (b, d, L),
    A (d, N), B and C (b, N, L), D (d,)); returns (b, d, L), plus the last state (b, d, N) if asked.
    Other keywords of the original (use_mambapy, use_associative_scan) are accepted and ignored."""
    dt_tm, du = discretize(hidden_states, dt, delta_bias, delta_softplus)
    y, last = SelectiveScanFn.apply(dt_tm, A.float().t().contiguous(), du, B.float().permute(2, 0, 1).contiguous(),
                                    C.float().permute(2, 0, 1).contiguous(), negative_eigenvalues)
    out = y.permute(1, 2, 0)  # (b, d, L)
    if D is not None:
        out = out + hidden_states * D[None, :, None]
    if z is not None:
        out = out * F.silu(z)
    out = out.to(hidden_states.dtype)
    return (out, last.transpose(1, 2)) if return_last_state else out


def selective_scan_reference(hidden_states, dt, A, B, C, D=None, z=None, delta_bias=None, delta_softplus=False,
                             return_last_state=False, negative_eigenvalues=False):
    """The recurrence written plainly (float64 when given float64), one step at a time, autograd throughout."""
    if delta_bias is not None:
        dt = dt + delta_bias[..., None]
    if delta_softplus:
        dt = F.softplus(dt)
    batch, width, length = hidden_states.shape
    h = hidden_states.new_zeros(batch, width, A.shape[1])
    outputs = []
    for t in range(length):
        decay = torch.exp(dt[:, :, t, None] * A)  # (b, d, N)
        if negative_eigenvalues:
            decay = 2 * decay - 1
        h = decay * h + (dt[:, :, t] * hidden_states[:, :, t])[..., None] * B[:, None, :, t]
        outputs.append((h * C[:, None, :, t]).sum(-1))
    out = torch.stack(outputs, dim=-1)
    if D is not None:
        out = out + hidden_states * D[None, :, None]
    if z is not None:
        out = out * F.silu(z)
    return (out, h) if return_last_state else out
