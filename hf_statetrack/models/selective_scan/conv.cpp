// Mamba's causal depthwise conv1d, channel-last: out_t = act(bias + sum_k w_k x_{t-K+1+k}) per channel,
// x_s = 0 for s < 0, act = silu or identity. The backward recomputes the pre-activation and scatters
// w_k g_t into dx_{t-K+1+k}; dw and dbias are written per batch row (the caller sums them).
#include <vector>

#include "scan.h"

namespace hfst {

template <typename T, int W>
inline void preactivation(const ConvArgs& a, int64_t b, int64_t t, int64_t d0, T* acc) {
    for (int j = 0; j < W; ++j) acc[j] = T(0);
    if (a.bias)
        for (int j = 0; j < W; ++j) acc[j] = static_cast<const T*>(a.bias)[d0 + j];
    for (int64_t k = std::max<int64_t>(0, a.kernel - 1 - t); k < a.kernel; ++k) {
        const T* w = static_cast<const T*>(a.weight) + k * a.width + d0;
        const T* x = row<T>(a.x, b, t - a.kernel + 1 + k) + d0;
        for (int j = 0; j < W; ++j) acc[j] += w[j] * x[j];
    }
}

template <typename T, int W>
void conv_forward_block(const ConvArgs& a, int64_t b, int64_t d0) {
    T acc[W];
    for (int64_t t = 0; t < a.length; ++t) {
        preactivation<T, W>(a, b, t, d0, acc);
        T* out = static_cast<T*>(a.out) + (b * a.length + t) * a.width + d0;
        if (a.silu)
            for (int j = 0; j < W; ++j) acc[j] *= sigmoid(acc[j]);
        for (int j = 0; j < W; ++j) out[j] = acc[j];
    }
}

template <typename T, int W>
void conv_backward_block(const ConvArgs& a, int64_t b, int64_t d0) {
    std::vector<T> dw(a.kernel * W, T(0));
    T acc[W], g[W], dbias[W] = {};
    for (int64_t t = 0; t < a.length; ++t) {
        preactivation<T, W>(a, b, t, d0, acc);
        const T* go = row<T>(a.grad_out, b, t) + d0;
        for (int j = 0; j < W; ++j) g[j] = go[j];
        if (a.silu)
            for (int j = 0; j < W; ++j) {
                T s = sigmoid(acc[j]);
                g[j] *= s * (T(1) + acc[j] * (T(1) - s));
            }
        for (int j = 0; j < W; ++j) dbias[j] += g[j];
        for (int64_t k = std::max<int64_t>(0, a.kernel - 1 - t); k < a.kernel; ++k) {
            const int64_t s = t - a.kernel + 1 + k;
            const T* w = static_cast<const T*>(a.weight) + k * a.width + d0;
            const T* x = row<T>(a.x, b, s) + d0;
            T* dx = static_cast<T*>(a.dx) + (b * a.length + s) * a.width + d0;
            for (int j = 0; j < W; ++j) {
                dx[j] += w[j] * g[j];
                dw[k * W + j] += g[j] * x[j];
            }
        }
    }
    T* dw_out = static_cast<T*>(a.dw) + b * a.kernel * a.width + d0;  // (b, K, d)
    for (int64_t k = 0; k < a.kernel; ++k)
        for (int j = 0; j < W; ++j) dw_out[k * a.width + j] = dw[k * W + j];
    if (a.bias)
        for (int j = 0; j < W; ++j) static_cast<T*>(a.dbias)[b * a.width + d0 + j] = dbias[j];
}

template <typename T>
void conv_forward(const ConvArgs& a) {
    for_each_block(a.batch, a.width, 1, a.threads,
                   [&](int64_t b, int64_t d0, int64_t) { conv_forward_block<T, kBlock>(a, b, d0); },
                   [&](int64_t b, int64_t d0, int64_t) { conv_forward_block<T, 1>(a, b, d0); });
}

template <typename T>
void conv_backward(const ConvArgs& a) {
    for_each_block(a.batch, a.width, 1, a.threads,
                   [&](int64_t b, int64_t d0, int64_t) { conv_backward_block<T, kBlock>(a, b, d0); },
                   [&](int64_t b, int64_t d0, int64_t) { conv_backward_block<T, 1>(a, b, d0); });
}

}  // namespace hfst

extern "C" {
void conv_forward_f32(const hfst::ConvArgs* a) { hfst::conv_forward<float>(*a); }
void conv_forward_f64(const hfst::ConvArgs* a) { hfst::conv_forward<double>(*a); }
void conv_backward_f32(const hfst::ConvArgs* a) { hfst::conv_backward<float>(*a); }
void conv_backward_f64(const hfst::ConvArgs* a) { hfst::conv_backward<double>(*a); }
}
