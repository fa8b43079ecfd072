// The avx512 variant of the encoder kernels (see encoder_impl.h).
#include "encoder_internal.h"
#define FLOE_VARIANT 2
#define FLOE_ENCODER_KERNELS_NAME floe_encoder_kernels_avx512
#include <math.h>
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c"))), apply_to = function)
#include "simd.h"
#include "encoder_impl.h"
#pragma clang attribute pop
