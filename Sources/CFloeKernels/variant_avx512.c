// The AVX-512 variant (F, BW, VL, DQ + FMA/F16C), chosen at run time by floe_isa_supported().
#include "kernels_internal.h"
#define FLOE_VARIANT 2
#define FLOE_GEMV1 floe_gemv1_avx512
#define FLOE_ROWS_FUSED floe_rows_avx512
#define FLOE_KERNELS_NAME floe_kernels_avx512
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma,f16c,bmi2"))), apply_to = function)
#include "simd.h"
#include "dequant_impl.h"
#include "linear_impl.h"
#include "linear_rows_impl.h"
#include "ops_impl.h"
#pragma clang attribute pop
