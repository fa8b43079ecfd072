// The avx2 variant of the encoder kernels (see encoder_impl.h).
#include "encoder_internal.h"
#define FLOE_VARIANT 1
#define FLOE_ENCODER_KERNELS_NAME floe_encoder_kernels_avx2
#include <math.h>
#include <immintrin.h>
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c"))), apply_to = function)
#include "simd.h"
#include "encoder_impl.h"
#pragma clang attribute pop
