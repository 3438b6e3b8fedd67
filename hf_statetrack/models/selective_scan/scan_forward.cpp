// Selective scan, forward: out_t = (C_t . h_t + D u_t) * silu(z_t), h_t = decay_t * h_{t-1} + dt_t u_t B_t,
// decay_t = exp(dt_t A) or 2 exp(dt_t A) - 1, dt_t = softplus(dt_t + bias). Saves only the state before
// every chunk of `chunk` steps (the backward recomputes the rest) and the last state.
#include <vector>

#include "scan.h"

namespace hfst {

template <typename T, int W>
inline void write_output(const ScanArgs& a, int64_t b, int64_t t, int64_t d0, const T* y) {
    T* out = static_cast<T*>(a.out) + (b * a.length + t) * a.width + d0;
    skip_connection<T, W>(a, b, t, d0, y, out);
    if (a.z.data) {
        const T* z = row<T>(a.z, b, t) + d0;
        for (int j = 0; j < W; ++j) out[j] *= z[j] * sigmoid(z[j]);
    }
}

template <typename T, int W>
void forward_block(const ScanArgs& a, int64_t b, int64_t d0) {
    const int64_t N = a.state, chunks = (a.length + a.chunk - 1) / a.chunk;
    std::vector<T> h(N * W, T(0)), E(N * W);
    T dtv[W], du[W], y[W];
    T* ckpt = static_cast<T*>(a.ckpt) + b * chunks * N * a.width;
    for (int64_t t = 0; t < a.length; ++t) {
        if (t % a.chunk == 0) {  // the state before this chunk: (chunk, N, d)
            T* c = ckpt + (t / a.chunk) * N * a.width + d0;
            for (int64_t n = 0; n < N; ++n)
                for (int j = 0; j < W; ++j) c[n * a.width + j] = h[n * W + j];
        }
        discretize_step<T, W>(a, b, t, d0, dtv, du);
        state_step<T, W>(a, b, t, d0, dtv, du, h.data(), E.data(), y);
        write_output<T, W>(a, b, t, d0, y);
    }
    T* last = static_cast<T*>(a.last) + (b * a.width + d0) * N;  // (b, d, N)
    for (int j = 0; j < W; ++j)
        for (int64_t n = 0; n < N; ++n) last[j * N + n] = h[n * W + j];
}

template <typename T>
void scan_forward(const ScanArgs& a) {
    for_each_block(a.batch, a.width, 1, a.threads,
                   [&](int64_t b, int64_t d0, int64_t) { forward_block<T, kBlock>(a, b, d0); },
                   [&](int64_t b, int64_t d0, int64_t) { forward_block<T, 1>(a, b, d0); });
}

}  // namespace hfst

extern "C" {
void scan_forward_f32(const hfst::ScanArgs* a) { hfst::scan_forward<float>(*a); }
void scan_forward_f64(const hfst::ScanArgs* a) { hfst::scan_forward<double>(*a); }
}
