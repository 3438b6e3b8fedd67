// Shared pieces of the CPU kernels (selective scan, causal conv): argument structs, which mirror the
// ctypes Structures of compiled.py field by field, and the element-wise maths.
//
// Layout: every sequence tensor is read as (batch, time, inner) with unit stride along `inner` and any
// strides along batch and time (`Seq`), so transposed views of transformers' (b, d, L) tensors whose
// memory is (b, L, d) need no copy. Loops over a block of W channels are written for the compiler to
// vectorise (`#pragma omp simd`); W = 1 handles the channels left over, and is the scalar fallback.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace hfst {

constexpr int64_t kBlock = 16;  // channels per vector block: one AVX-512 register of floats, two AVX2 ones

struct Seq {  // a (batch, time, inner) view with unit inner stride
    const void* data;
    int64_t sb, st;  // strides (in elements) of batch and time
};

struct ScanArgs {
    int64_t batch, length, width, state, chunk, groups, threads, softplus, negative;
    Seq u, dt, z, B, C, grad_out;
    const void *A, *D, *bias;          // A (N, d); D, bias (d) or null
    void *out, *last, *ckpt;           // (b, L, d); (b, d, N); (b, chunks, N, d)
    void *du, *ddt, *dz, *dB, *dC;     // (b, L, d) x3; (b, groups, L, N) x2
    void *dA, *dD, *dbias;             // (b, N, d); (b, d); (b, d)
};

struct ConvArgs {
    int64_t batch, length, width, kernel, threads, silu;
    Seq x, grad_out;
    const void *weight, *bias;  // (d, K); (d) or null
    void *out, *dx, *dw, *dbias;  // (b, L, d); (b, L, d) zero-filled; (b, d, K); (b, d)
};

template <typename T>
inline const T* row(const Seq& s, int64_t b, int64_t t) {
    return static_cast<const T*>(s.data) + b * s.sb + t * s.st;
}

// exp for float without libm, so that loops over channels vectorise: x = n ln2 + r, |r| <= ln2 / 2,
// exp(r) by Cephes' degree-6 polynomial (about 1 ulp), 2^n written into the exponent bits.
inline float exp_approx(float x) {
    x = std::min(std::max(x, -87.0f), 88.0f);
    float n = std::floor(x * 1.44269504f + 0.5f);
    float r = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
    float scale;
    std::memcpy(&scale, &bits, sizeof(scale));
    return p * scale;
}

inline double exp_approx(double x) { return std::exp(x); }  // float64 is for the agreement tests

template <typename T>
inline T softplus(T x) {  // torch's threshold: x itself above 20
    return x > T(20) ? x : std::log1p(std::exp(x));
}

template <typename T>
inline T sigmoid(T x) { return T(1) / (T(1) + std::exp(-x)); }

}  // namespace hfst
