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
    const void *weight, *bias;  // (K, d); (d) or null
    void *out, *dx, *dw, *dbias;  // (b, L, d); (b, L, d) zero-filled; (b, K, d); (b, d)
};

template <typename T>
inline const T* row(const Seq& s, int64_t b, int64_t t) {
    return static_cast<const T*>(s.data) + b * s.sb + t * s.st;
}

// exp for float without libm, so that loops over channels vectorise: x = n ln2 + r, |r| <= ln2 / 2,
// exp(r) by Cephes' degree-6 polynomial (about 1 ulp), 2^n written into the exponent bits.
inline float exp_approx(float x) {
    x = std::min(std::max(x, -87.0f), 88.0f);
    const float round = 12582912.0f;  // 1.5 * 2^23: adding and subtracting it rounds to an integer (floor
    float n = (x * 1.44269504f + round) - round;  // does not vectorise with gcc 12)
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

// log(1 + e) for e in [0, 1], accurate also for tiny e: 2 atanh(s) = 2 (s + s^3/3 + s^5/5 + ...), s = e / (2 + e)
// <= 1/3, nine terms (error < 1e-9). No branch and no libm call, so the loops vectorise.
inline float log1p_unit(float e) {
    float s = e / (2.0f + e), z = s * s, p = 1.0f / 17.0f;
    for (int k = 15; k >= 1; k -= 2) p = p * z + 1.0f / static_cast<float>(k);
    return 2.0f * s * p;
}

inline double softplus(double x) {  // torch's formula, threshold 20
    return x > 20.0 ? x : std::log1p(std::exp(x));
}

inline float softplus(float x) {  // without a branch (gcc would not vectorise one); differs by < exp(-20) above 20
    return std::max(x, 0.0f) + log1p_unit(exp_approx(-std::abs(x)));
}

template <typename T>
inline T sigmoid(T x) { return T(1) / (T(1) + exp_approx(-x)); }

}  // namespace hfst
