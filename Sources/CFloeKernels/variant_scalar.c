// The portable plain-C variant: correct everywhere, used where AVX2 is missing.
#include "kernels_internal.h"
#define FLOE_VARIANT 0
#define FLOE_KERNELS_NAME floe_kernels_scalar
#include "simd.h"
#include "dequant_impl.h"
#include "linear_impl.h"
#include "linear_rows_impl.h"
#include "ops_impl.h"
