// The AVX2 + FMA + F16C variant ("haswell", the declared portable minimum of x86-64 hosts).
#include "kernels_internal.h"
#define FLOE_VARIANT 1
#define FLOE_GEMV1 gemv1_avx2
#define FLOE_KERNELS_NAME floe_kernels_avx2
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#pragma clang attribute push(__attribute__((target("avx2,fma,f16c,bmi2"))), apply_to = function)
#include "simd.h"
#include "dequant_impl.h"
#include "linear_impl.h"
#include "linear_rows_impl.h"
#include "gemv_avx2_impl.h"
#include "ops_impl.h"
#pragma clang attribute pop
