// One time step of the selective scan for a block of W channels (d0 .. d0 + W - 1), shared by the
// forward (scan_forward.cpp) and the backward, which recomputes the states of each chunk from its
// checkpoint (scan_backward.cpp). States are kept as h[n * W + j]: state index n, channel d0 + j.
#pragma once

#include "kernel.h"

namespace hfst {

// dt_t after bias and softplus, and du_t = dt_t * u_t. (Branches stay outside the loops, which vectorise.)
template <typename T, int W>
inline void discretize_step(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, T* dtv, T* du) {
    const T* dt = row<T>(a.dt, b, t) + d0;
    const T* u = row<T>(a.u, b, t) + d0;
    for (int j = 0; j < W; ++j) dtv[j] = dt[j];
    if (a.bias)
        for (int j = 0; j < W; ++j) dtv[j] += static_cast<const T*>(a.bias)[d0 + j];
    if (a.softplus)
        for (int j = 0; j < W; ++j) dtv[j] = softplus(dtv[j]);
    for (int j = 0; j < W; ++j) du[j] = dtv[j] * u[j];
}

// y + D u, the gate's input.
template <typename T, int W>
inline void skip_connection(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, const T* y, T* pre) {
    const T* u = row<T>(a.u, b, t) + d0;
    for (int j = 0; j < W; ++j) pre[j] = y[j];
    if (a.D)
        for (int j = 0; j < W; ++j) pre[j] += static_cast<const T*>(a.D)[d0 + j] * u[j];
}

// h <- decay * h + du B_t for every state index; y = C_t . h; E = exp(dt A) (the decay is E, or 2E - 1).
template <typename T, int W>
inline void state_step(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, const T* dtv, const T* du,
                       T* h, T* E, T* y) {
    const T* Bt = row<T>(a.B, b, t);
    const T* Ct = row<T>(a.C, b, t);
    const bool negative = a.negative;
    for (int j = 0; j < W; ++j) y[j] = T(0);
    for (int64_t n = 0; n < a.state; ++n) {
        const T* An = static_cast<const T*>(a.A) + n * a.width + d0;
        const T bn = Bt[n], cn = Ct[n];
        T* hn = h + n * W;
        T* En = E + n * W;
#pragma omp simd
        for (int j = 0; j < W; ++j) {
            T e = exp_approx(dtv[j] * An[j]);
            T decay = negative ? T(2) * e - T(1) : e;
            T hv = decay * hn[j] + du[j] * bn;
            hn[j] = hv;
            En[j] = e;
            y[j] += cn * hv;
        }
    }
}

// Run f(b, d0, W-tag) over batch rows x channel blocks in `groups` contiguous groups per row, in parallel.
// Blocks are kBlock channels wide; the width % kBlock channels left over run one at a time.
template <typename Full, typename Single>
inline void for_each_block(int64_t batch, int64_t width, int64_t groups, int64_t threads, Full full,
                           Single single) {
    const int64_t blocks = width / kBlock, tasks = blocks + width % kBlock;
#pragma omp parallel for collapse(2) schedule(static) num_threads(threads)
    for (int64_t b = 0; b < batch; ++b) {
        for (int64_t g = 0; g < groups; ++g) {
            for (int64_t k = g * tasks / groups; k < (g + 1) * tasks / groups; ++k) {
                if (k < blocks) full(b, k * kBlock, g);
                else single(b, blocks * kBlock + (k - blocks), g);
            }
        }
    }
}

}  // namespace hfst
