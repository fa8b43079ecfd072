// The scalar variant of the encoder kernels (see encoder_impl.h).
#include "encoder_internal.h"
#define FLOE_VARIANT 0
#define FLOE_ENCODER_KERNELS_NAME floe_encoder_kernels_scalar
#include <math.h>
#include "simd.h"
#include "encoder_impl.h"
