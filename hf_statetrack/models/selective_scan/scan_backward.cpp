// Selective scan, backward. Chunks run last to first: the states of a chunk are recomputed from its
// checkpoint (forward order), then the adjoint lam = dLoss/dh runs backwards through it:
//
//     lam_t = decay_{t+1} lam_{t+1} + C_t gy_t          (gy = dLoss/dy of the scan output, after the gate)
//     dC_t = sum_d h_t gy_t,  d(du)_t = sum_n lam_t B_t,  dB_t = sum_d lam_t du_t,
//     d(dt A)_t = lam_t h_{t-1} d(decay)/d(dt A)        (E, or 2E for the negative-eigenvalue decay 2E - 1)
//
// dB and dC sum over channels: each (batch row, group of channel blocks) task adds into its own
// (b, group) slice, and the caller sums the groups. dA, dD and dbias are written per batch row.
#include <vector>

#include "scan.h"

namespace hfst {

template <typename T, int W>
struct Chunk {  // one chunk's recomputed values for a block of W channels
    int64_t N, K;
    std::vector<T> h, E, dtv, du, gy;  // h: K + 1 states (h[0] = checkpoint); E: K; the rest K x W
    Chunk(int64_t N, int64_t K) : N(N), K(K), h((K + 1) * N * W), E(K * N * W), dtv(K * W), du(K * W), gy(K * W) {}
};

// gy = dLoss/dy through the gate; writes dz and adds dLoss/dD.
template <typename T, int W>
inline void gate_backward(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, const T* y, T* gy, T* dD) {
    const T* g = row<T>(a.grad_out, b, t) + d0;
    T pre[W];
    skip_connection<T, W>(a, b, t, d0, y, pre);
    if (a.z.data) {
        const T* z = row<T>(a.z, b, t) + d0;
        T* dz = static_cast<T*>(a.dz) + (b * a.length + t) * a.width + d0;
        for (int j = 0; j < W; ++j) {
            T s = sigmoid(z[j]);
            gy[j] = g[j] * z[j] * s;
            dz[j] = g[j] * pre[j] * s * (T(1) + z[j] * (T(1) - s));
        }
    } else {
        for (int j = 0; j < W; ++j) gy[j] = g[j];
    }
    if (a.D) {
        const T* u = row<T>(a.u, b, t) + d0;
        for (int j = 0; j < W; ++j) dD[j] += gy[j] * u[j];
    }
}

template <typename T, int W>
void recompute_chunk(const ScanArgs& a, int64_t b, int64_t d0, int64_t c, Chunk<T, W>& k, T* dD) {
    const int64_t N = a.state, chunks = (a.length + a.chunk - 1) / a.chunk;
    const T* ckpt = static_cast<const T*>(a.ckpt) + ((b * chunks + c) * N) * a.width + d0;
    for (int64_t n = 0; n < N; ++n)
        for (int j = 0; j < W; ++j) k.h[n * W + j] = ckpt[n * a.width + j];
    T y[W];
    for (int64_t s = 0, t = c * a.chunk; s < a.chunk && t < a.length; ++s, ++t) {
        T* h = k.h.data() + (s + 1) * N * W;
        std::copy(h - N * W, h, h);
        discretize_step<T, W>(a, b, t, d0, &k.dtv[s * W], &k.du[s * W]);
        state_step<T, W>(a, b, t, d0, &k.dtv[s * W], &k.du[s * W], h, &k.E[s * N * W], y);
        gate_backward<T, W>(a, b, t, d0, y, &k.gy[s * W], dD);
    }
}

// One reverse step at time t (chunk position s): updates lam in place to decay_t lam_t for step t - 1.
template <typename T, int W>
inline void adjoint_step(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, int64_t g, int64_t s,
                         const Chunk<T, W>& k, T* lam, T* dA, T* ddu, T* ddt) {
    const int64_t N = a.state;
    const T* Bt = row<T>(a.B, b, t);
    const T* Ct = row<T>(a.C, b, t);
    T* dBt = static_cast<T*>(a.dB) + ((b * a.groups + g) * a.length + t) * N;
    T* dCt = static_cast<T*>(a.dC) + ((b * a.groups + g) * a.length + t) * N;
    const T *gy = &k.gy[s * W], *du = &k.du[s * W], *dtv = &k.dtv[s * W];
    const bool negative = a.negative;
    for (int j = 0; j < W; ++j) ddu[j] = ddt[j] = T(0);
    for (int64_t n = 0; n < N; ++n) {
        const T* An = static_cast<const T*>(a.A) + n * a.width + d0;
        const T *h = &k.h[((s + 1) * N + n) * W], *hp = &k.h[(s * N + n) * W], *E = &k.E[(s * N + n) * W];
        T *ln = lam + n * W, *dAn = dA + n * W;
        const T bn = Bt[n], cn = Ct[n];
        T sC = T(0), sB = T(0);
#pragma omp simd reduction(+ : sC, sB)
        for (int j = 0; j < W; ++j) {
            T l = ln[j] + cn * gy[j];
            sC += h[j] * gy[j];
            sB += l * du[j];
            ddu[j] += l * bn;
            T da = l * hp[j] * (negative ? T(2) * E[j] : E[j]);
            ddt[j] += da * An[j];
            dAn[j] += da * dtv[j];
            ln[j] = l * (negative ? T(2) * E[j] - T(1) : E[j]);
        }
        dCt[n] += sC;
        dBt[n] += sB;
    }
}

// Chain du = dt u and dt = softplus(dt_raw + bias) back to the inputs; writes du, ddt and adds dbias.
template <typename T, int W>
inline void input_gradients(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, int64_t s,
                            const Chunk<T, W>& k, const T* ddu, const T* ddt, T* dbias) {
    const T* u = row<T>(a.u, b, t) + d0;
    const T* dt = row<T>(a.dt, b, t) + d0;
    const T* D = a.D ? static_cast<const T*>(a.D) + d0 : nullptr;
    const T* bias = a.bias ? static_cast<const T*>(a.bias) + d0 : nullptr;
    T* du_out = static_cast<T*>(a.du) + (b * a.length + t) * a.width + d0;
    T* ddt_out = static_cast<T*>(a.ddt) + (b * a.length + t) * a.width + d0;
    const T *dtv = &k.dtv[s * W], *gy = &k.gy[s * W];
    for (int j = 0; j < W; ++j) {
        du_out[j] = ddu[j] * dtv[j];
        ddt_out[j] = ddt[j] + ddu[j] * u[j];
    }
    if (D)
        for (int j = 0; j < W; ++j) du_out[j] += gy[j] * D[j];
    if (a.softplus) {  // d softplus(v) / dv = sigmoid(v), v = dt + bias
        T v[W];
        for (int j = 0; j < W; ++j) v[j] = dt[j];
        if (bias)
            for (int j = 0; j < W; ++j) v[j] += bias[j];
        for (int j = 0; j < W; ++j) ddt_out[j] *= sigmoid(v[j]);
    }
    for (int j = 0; j < W; ++j) dbias[j] += ddt_out[j];
}

template <typename T, int W>
void backward_block(const ScanArgs& a, int64_t b, int64_t d0, int64_t g) {
    const int64_t N = a.state, chunks = (a.length + a.chunk - 1) / a.chunk;
    Chunk<T, W> k(N, a.chunk);
    std::vector<T> lam(N * W, T(0)), dA(N * W, T(0));
    T dD[W] = {}, dbias[W] = {}, ddu[W], ddt[W];
    for (int64_t c = chunks - 1; c >= 0; --c) {
        recompute_chunk<T, W>(a, b, d0, c, k, dD);
        const int64_t t0 = c * a.chunk, steps = std::min(a.chunk, a.length - t0);
        for (int64_t s = steps - 1; s >= 0; --s) {
            adjoint_step<T, W>(a, b, t0 + s, d0, g, s, k, lam.data(), dA.data(), ddu, ddt);
            input_gradients<T, W>(a, b, t0 + s, d0, s, k, ddu, ddt, dbias);
        }
    }
    T* dA_out = static_cast<T*>(a.dA) + b * N * a.width + d0;
    for (int64_t n = 0; n < N; ++n)
        for (int j = 0; j < W; ++j) dA_out[n * a.width + j] = dA[n * W + j];
    for (int j = 0; j < W; ++j) {
        static_cast<T*>(a.dD)[b * a.width + d0 + j] = dD[j];
        static_cast<T*>(a.dbias)[b * a.width + d0 + j] = dbias[j];
    }
}

template <typename T>
void scan_backward(const ScanArgs& a) {
    for_each_block(a.batch, a.width, a.groups, a.threads,
                   [&](int64_t b, int64_t d0, int64_t g) { backward_block<T, kBlock>(a, b, d0, g); },
                   [&](int64_t b, int64_t d0, int64_t g) { backward_block<T, 1>(a, b, d0, g); });
}

}  // namespace hfst

extern "C" {
void scan_backward_f32(const hfst::ScanArgs* a) { hfst::scan_backward<float>(*a); }
void scan_backward_f64(const hfst::ScanArgs* a) { hfst::scan_backward<double>(*a); }
}
