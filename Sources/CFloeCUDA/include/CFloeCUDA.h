// The slice of the CUDA driver, NVRTC and cuBLASLt C APIs Floe uses, declared here so the package
// builds without CUDA headers and binds to the libraries at run time (dlopen): one binary runs on
// machines with and without a GPU. Values and layouts are those of CUDA 12/13's cuda.h, nvrtc.h,
// library_types.h and cublasLt.h.
#ifndef CFLOE_CUDA_H
#define CFLOE_CUDA_H

#include <stddef.h>
#include <stdint.h>

typedef int CUresult;            // CUDA_SUCCESS == 0
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct CUctx_st *CUcontext;
typedef struct CUmod_st *CUmodule;
typedef struct CUfunc_st *CUfunction;
typedef struct CUstream_st *CUstream;
typedef struct CUevent_st *CUevent;
typedef struct CUgraph_st *CUgraph;
typedef struct CUgraphExec_st *CUgraphExec;

enum {
    FLOE_CU_DEVICE_ATTRIBUTE_MULTIPROCESSOR_COUNT = 16,
    FLOE_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR = 75,
    FLOE_CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR = 76,
    FLOE_CU_DEVICE_ATTRIBUTE_MAX_SHARED_MEMORY_PER_BLOCK_OPTIN = 97,
    FLOE_CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES = 8,
    FLOE_CU_STREAM_NON_BLOCKING = 1,
    FLOE_CU_STREAM_CAPTURE_MODE_THREAD_LOCAL = 1,
    FLOE_CU_STREAM_CAPTURE_MODE_RELAXED = 2,
    FLOE_CU_EVENT_DEFAULT = 0,
};

// cuLaunchKernelEx's configuration (CUDA 12+), with the one attribute Floe sets: programmatic
// stream serialization (id 6), which lets a kernel start while the one before it finishes.
typedef struct {
    int id;
    char pad[4];
    union { int programmaticStreamSerializationAllowed; char bytes[64]; } value;
} FloeCUlaunchAttribute;
typedef struct {
    unsigned int gridDimX, gridDimY, gridDimZ;
    unsigned int blockDimX, blockDimY, blockDimZ;
    unsigned int sharedMemBytes;
    CUstream hStream;
    FloeCUlaunchAttribute *attrs;
    unsigned int numAttrs;
} FloeCUlaunchConfig;
enum { FLOE_CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION = 6 };

typedef struct FloeCUDADriver {
    CUresult (*cuInit)(unsigned int flags);
    CUresult (*cuGetErrorString)(CUresult error, const char **string);
    CUresult (*cuDriverGetVersion)(int *version);
    CUresult (*cuDeviceGetCount)(int *count);
    CUresult (*cuDeviceGet)(CUdevice *device, int ordinal);
    CUresult (*cuDeviceGetName)(char *name, int length, CUdevice device);
    CUresult (*cuDeviceGetAttribute)(int *value, int attribute, CUdevice device);
    CUresult (*cuDevicePrimaryCtxRetain)(CUcontext *context, CUdevice device);
    CUresult (*cuCtxSetCurrent)(CUcontext context);
    CUresult (*cuCtxSynchronize)(void);
    CUresult (*cuMemGetInfo)(size_t *free, size_t *total);
    CUresult (*cuMemAlloc)(CUdeviceptr *pointer, size_t bytes);
    CUresult (*cuMemFree)(CUdeviceptr pointer);
    CUresult (*cuMemAllocHost)(void **pointer, size_t bytes);
    CUresult (*cuMemFreeHost)(void *pointer);
    CUresult (*cuMemcpyHtoDAsync)(CUdeviceptr destination, const void *source, size_t bytes, CUstream stream);
    CUresult (*cuMemcpyDtoHAsync)(void *destination, CUdeviceptr source, size_t bytes, CUstream stream);
    CUresult (*cuMemcpyDtoDAsync)(CUdeviceptr destination, CUdeviceptr source, size_t bytes, CUstream stream);
    CUresult (*cuMemsetD8Async)(CUdeviceptr destination, unsigned char value, size_t count, CUstream stream);
    CUresult (*cuMemsetD32Async)(CUdeviceptr destination, unsigned int value, size_t count, CUstream stream);
    CUresult (*cuStreamCreate)(CUstream *stream, unsigned int flags);
    CUresult (*cuStreamSynchronize)(CUstream stream);
    CUresult (*cuEventCreate)(CUevent *event, unsigned int flags);
    CUresult (*cuEventRecord)(CUevent event, CUstream stream);
    CUresult (*cuEventSynchronize)(CUevent event);
    CUresult (*cuEventElapsedTime)(float *milliseconds, CUevent start, CUevent end);
    CUresult (*cuEventDestroy)(CUevent event);
    CUresult (*cuModuleLoadData)(CUmodule *module, const void *image);
    CUresult (*cuModuleGetFunction)(CUfunction *function, CUmodule module, const char *name);
    CUresult (*cuFuncSetAttribute)(CUfunction function, int attribute, int value);
    CUresult (*cuLaunchKernel)(
        CUfunction function, unsigned int gridX, unsigned int gridY, unsigned int gridZ,
        unsigned int blockX, unsigned int blockY, unsigned int blockZ, unsigned int sharedBytes,
        CUstream stream, void **parameters, void **extra);
    CUresult (*cuStreamBeginCapture)(CUstream stream, int mode);
    CUresult (*cuStreamEndCapture)(CUstream stream, CUgraph *graph);
    CUresult (*cuGraphInstantiateWithFlags)(CUgraphExec *exec, CUgraph graph, unsigned long long flags);
    CUresult (*cuGraphLaunch)(CUgraphExec exec, CUstream stream);
    CUresult (*cuGraphExecDestroy)(CUgraphExec exec);
    CUresult (*cuGraphDestroy)(CUgraph graph);
    // Optional (NULL on drivers before CUDA 12): programmatic dependent launch needs it.
    CUresult (*cuLaunchKernelEx)(const FloeCUlaunchConfig *config, CUfunction function, void **parameters, void **extra);
} FloeCUDADriver;

typedef int nvrtcResult;         // NVRTC_SUCCESS == 0
typedef struct _nvrtcProgram *nvrtcProgram;

typedef struct FloeNVRTC {
    const char *(*nvrtcGetErrorString)(nvrtcResult result);
    nvrtcResult (*nvrtcVersion)(int *major, int *minor);
    nvrtcResult (*nvrtcCreateProgram)(
        nvrtcProgram *program, const char *source, const char *name, int headerCount,
        const char *const *headers, const char *const *includeNames);
    nvrtcResult (*nvrtcCompileProgram)(nvrtcProgram program, int optionCount, const char *const *options);
    nvrtcResult (*nvrtcGetProgramLogSize)(nvrtcProgram program, size_t *size);
    nvrtcResult (*nvrtcGetProgramLog)(nvrtcProgram program, char *log);
    nvrtcResult (*nvrtcGetCUBINSize)(nvrtcProgram program, size_t *size);
    nvrtcResult (*nvrtcGetCUBIN)(nvrtcProgram program, char *cubin);
    nvrtcResult (*nvrtcDestroyProgram)(nvrtcProgram *program);
} FloeNVRTC;

typedef int cublasStatus_t;      // CUBLAS_STATUS_SUCCESS == 0
typedef struct cublasLtContext *cublasLtHandle_t;
typedef struct cublasLtMatmulDescOpaque_t *cublasLtMatmulDesc_t;
typedef struct cublasLtMatrixLayoutOpaque_t *cublasLtMatrixLayout_t;
typedef struct cublasLtMatmulPreferenceOpaque_t *cublasLtMatmulPreference_t;
typedef struct { uint64_t data[8]; } cublasLtMatmulAlgo_t;
typedef struct {
    cublasLtMatmulAlgo_t algo;
    size_t workspaceSize;
    cublasStatus_t state;
    float wavesCount;
    int reserved[4];
} cublasLtMatmulHeuristicResult_t;

enum {
    FLOE_CUDA_R_32F = 0,
    FLOE_CUDA_R_16F = 2,
    FLOE_CUDA_R_16BF = 14,
    FLOE_CUBLAS_COMPUTE_32F = 68,
    FLOE_CUBLAS_OP_N = 0,
    FLOE_CUBLAS_OP_T = 1,
    FLOE_CUBLASLT_MATMUL_DESC_TRANSA = 3,
    FLOE_CUBLASLT_MATMUL_DESC_TRANSB = 4,
    FLOE_CUBLASLT_MATMUL_DESC_EPILOGUE = 7,
    FLOE_CUBLASLT_MATMUL_DESC_BIAS_POINTER = 8,
    FLOE_CUBLASLT_EPILOGUE_BIAS = 4,
    FLOE_CUBLASLT_MATMUL_DESC_BIAS_DATA_TYPE = 26,
    FLOE_CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1,
    FLOE_CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT = 5,
    FLOE_CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET = 6,
};

typedef struct FloeCublasLt {
    cublasStatus_t (*cublasLtCreate)(cublasLtHandle_t *handle);
    size_t (*cublasLtGetVersion)(void);
    cublasStatus_t (*cublasLtMatmulDescCreate)(cublasLtMatmulDesc_t *desc, int computeType, int scaleType);
    cublasStatus_t (*cublasLtMatmulDescDestroy)(cublasLtMatmulDesc_t desc);
    cublasStatus_t (*cublasLtMatmulDescSetAttribute)(
        cublasLtMatmulDesc_t desc, int attribute, const void *buffer, size_t size);
    cublasStatus_t (*cublasLtMatrixLayoutCreate)(
        cublasLtMatrixLayout_t *layout, int type, uint64_t rows, uint64_t cols, int64_t leadingDimension);
    cublasStatus_t (*cublasLtMatrixLayoutDestroy)(cublasLtMatrixLayout_t layout);
    cublasStatus_t (*cublasLtMatrixLayoutSetAttribute)(
        cublasLtMatrixLayout_t layout, int attribute, const void *buffer, size_t size);
    cublasStatus_t (*cublasLtMatmulPreferenceCreate)(cublasLtMatmulPreference_t *preference);
    cublasStatus_t (*cublasLtMatmulPreferenceDestroy)(cublasLtMatmulPreference_t preference);
    cublasStatus_t (*cublasLtMatmulPreferenceSetAttribute)(
        cublasLtMatmulPreference_t preference, int attribute, const void *buffer, size_t size);
    cublasStatus_t (*cublasLtMatmulAlgoGetHeuristic)(
        cublasLtHandle_t handle, cublasLtMatmulDesc_t desc, cublasLtMatrixLayout_t a, cublasLtMatrixLayout_t b,
        cublasLtMatrixLayout_t c, cublasLtMatrixLayout_t d, cublasLtMatmulPreference_t preference,
        int requested, cublasLtMatmulHeuristicResult_t *results, int *returned);
    cublasStatus_t (*cublasLtMatmul)(
        cublasLtHandle_t handle, cublasLtMatmulDesc_t desc, const void *alpha, const void *a,
        cublasLtMatrixLayout_t aLayout, const void *b, cublasLtMatrixLayout_t bLayout, const void *beta,
        const void *c, cublasLtMatrixLayout_t cLayout, void *d, cublasLtMatrixLayout_t dLayout,
        const cublasLtMatmulAlgo_t *algo, void *workspace, size_t workspaceBytes, CUstream stream);
} FloeCublasLt;

/// Opens `path` and fills `table` with its symbols. Returns NULL on success, else a message
/// naming the library and the missing symbol (static storage; valid until the next call).
const char *floe_cuda_load_driver(const char *path, FloeCUDADriver *table);
const char *floe_cuda_load_nvrtc(const char *path, FloeNVRTC *table);
const char *floe_cuda_load_cublaslt(const char *path, FloeCublasLt *table);
/// dlopen with RTLD_GLOBAL, for libraries others find by soname (nvrtc's builtins).
const char *floe_cuda_preload(const char *path);

#endif
