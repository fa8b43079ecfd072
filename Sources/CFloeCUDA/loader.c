// Binds the function tables of CFloeCUDA.h to the libraries at run time.
#include "CFloeCUDA.h"

#include <dlfcn.h>
#include <stdio.h>

static _Thread_local char message[1024];

static void *open_library(const char *path) {
    void *handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!handle) snprintf(message, sizeof message, "cannot open %s: %s", path, dlerror());
    return handle;
}

// Resolves each name into consecutive pointer slots of a table whose fields are in the same order.
static const char *bind(void *handle, const char *library, const char *const *names, size_t count, void **slots) {
    for (size_t i = 0; i < count; i++) {
        slots[i] = dlsym(handle, names[i]);
        if (!slots[i]) {
            snprintf(message, sizeof message, "%s has no symbol %s (too old a version?)", library, names[i]);
            return message;
        }
    }
    return NULL;
}

const char *floe_cuda_load_driver(const char *path, FloeCUDADriver *table) {
    static const char *const names[] = {
        "cuInit", "cuGetErrorString", "cuDriverGetVersion", "cuDeviceGetCount", "cuDeviceGet",
        "cuDeviceGetName", "cuDeviceGetAttribute", "cuDevicePrimaryCtxRetain", "cuCtxSetCurrent",
        "cuCtxSynchronize", "cuMemGetInfo_v2", "cuMemAlloc_v2", "cuMemFree_v2", "cuMemAllocHost_v2",
        "cuMemFreeHost", "cuMemcpyHtoDAsync_v2", "cuMemcpyDtoHAsync_v2", "cuMemcpyDtoDAsync_v2",
        "cuMemsetD8Async", "cuMemsetD32Async", "cuStreamCreate", "cuStreamSynchronize", "cuEventCreate",
        "cuEventRecord", "cuEventSynchronize", "cuEventElapsedTime", "cuEventDestroy_v2",
        "cuModuleLoadData", "cuModuleGetFunction", "cuFuncSetAttribute", "cuLaunchKernel",
        "cuStreamBeginCapture_v2", "cuStreamEndCapture", "cuGraphInstantiateWithFlags", "cuGraphLaunch",
        "cuGraphExecDestroy", "cuGraphDestroy",
    };
    // The last entries may be missing from older drivers: left NULL, and the feature unused.
    _Static_assert(sizeof(names) / sizeof(names[0]) + 1 == sizeof(FloeCUDADriver) / sizeof(void *), "driver table");
    _Static_assert(sizeof(FloeCUlaunchAttribute) == 72 && sizeof(FloeCUlaunchConfig) == 56, "cuda.h launch structs");
    void *handle = open_library(path);
    if (!handle) return message;
    const char *error = bind(handle, path, names, sizeof(names) / sizeof(names[0]), (void **)table);
    if (error) return error;
    table->cuLaunchKernelEx = dlsym(handle, "cuLaunchKernelEx");  // CUDA 12.0+
    return NULL;
}

const char *floe_cuda_load_nvrtc(const char *path, FloeNVRTC *table) {
    static const char *const names[] = {
        "nvrtcGetErrorString", "nvrtcVersion", "nvrtcCreateProgram", "nvrtcCompileProgram",
        "nvrtcGetProgramLogSize", "nvrtcGetProgramLog", "nvrtcGetCUBINSize", "nvrtcGetCUBIN",
        "nvrtcDestroyProgram",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(FloeNVRTC) / sizeof(void *), "nvrtc table");
    void *handle = open_library(path);
    if (!handle) return message;
    return bind(handle, path, names, sizeof(names) / sizeof(names[0]), (void **)table);
}

const char *floe_cuda_load_cublaslt(const char *path, FloeCublasLt *table) {
    static const char *const names[] = {
        "cublasLtCreate", "cublasLtGetVersion", "cublasLtMatmulDescCreate", "cublasLtMatmulDescDestroy",
        "cublasLtMatmulDescSetAttribute", "cublasLtMatrixLayoutCreate", "cublasLtMatrixLayoutDestroy", "cublasLtMatrixLayoutSetAttribute",
        "cublasLtMatmulPreferenceCreate", "cublasLtMatmulPreferenceDestroy",
        "cublasLtMatmulPreferenceSetAttribute", "cublasLtMatmulAlgoGetHeuristic", "cublasLtMatmul",
    };
    _Static_assert(sizeof(names) / sizeof(names[0]) == sizeof(FloeCublasLt) / sizeof(void *), "cublasLt table");
    void *handle = open_library(path);
    if (!handle) return message;
    return bind(handle, path, names, sizeof(names) / sizeof(names[0]), (void **)table);
}

const char *floe_cuda_preload(const char *path) {
    if (!dlopen(path, RTLD_NOW | RTLD_GLOBAL)) {
        snprintf(message, sizeof message, "cannot open %s: %s", path, dlerror());
        return message;
    }
    return NULL;
}
