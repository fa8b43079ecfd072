// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Floe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "floe", targets: ["floe"]),
        .library(name: "FloeTensor", targets: ["FloeTensor"]),
        .library(name: "FloeCPU", targets: ["FloeCPU"]),
        .library(name: "FloeCUDA", targets: ["FloeCUDA"]),
        .library(name: "FloeWeights", targets: ["FloeWeights"]),
        .library(name: "FloeTokenizers", targets: ["FloeTokenizers"]),
        .library(name: "FloeModels", targets: ["FloeModels"]),
        .library(name: "FloeEngine", targets: ["FloeEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/grpc/grpc-swift-2", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
    ],
    targets: [
        .target(name: "FloeTensor"),
        // C kernels with run-time AVX-512/AVX2/scalar dispatch; always optimised (even in debug
        // builds) so test runs stay fast. See Sources/CFloeKernels/include/CFloeKernels.h.
        .target(name: "CFloeKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "FloeCPU", dependencies: ["FloeTensor", "CFloeKernels"]),
        .executableTarget(name: "FloeKernelBench", dependencies: ["FloeCPU", "FloeTensor", "CFloeKernels"]),
        // The CUDA backend: the driver, NVRTC and cuBLASLt bound at run time (CFloeCUDA declares
        // the slice of their C APIs we use), kernels compiled by NVRTC at start. Builds and runs
        // its CPU-side checks without CUDA installed.
        .target(name: "CFloeCUDA", linkerSettings: [.linkedLibrary("dl")]),
        .target(name: "FloeCUDA", dependencies: ["CFloeCUDA", "FloeTensor"]),
        .target(name: "FloeWeights", dependencies: ["FloeTensor"]),
        // `floe cuda-check`: CUDA ops against the CPU reference, goldens and engine checks on a GPU.
        .target(name: "FloeCUDAChecks", dependencies: ["FloeCUDA", "FloeCPU", "FloeTensor", "FloeModels", "FloeRunner", "FloeEngine"]),
        .target(name: "FloeTokenizers"),
        .target(name: "FloeModels", dependencies: ["FloeTensor", "FloeWeights"]),
        .target(name: "FloeEngine"),
        .target(name: "FloeRunner", dependencies: ["FloeEngine", "FloeModels", "FloeTensor", "FloeWeights", "FloeTokenizers"]),
        .target(
            name: "FloeBench",
            dependencies: [
                "FloeRunner", "FloeModels", "FloeEngine", "FloeTensor", "FloeTokenizers",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]),
        // Hugging Face Hub downloads into the standard HF cache layout (`floe serve org/name`).
        .target(
            name: "FloeHub",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        // OpenAI wire types and their validation, free of any server framework.
        .target(name: "FloeOpenAI", dependencies: ["FloeEngine", "FloeTokenizers"]),
        // Arctic Inference's gRPC embedding API: code generated from Protos/ by
        // scripts/generate-grpc.sh and committed (no protoc in CI).
        .target(
            name: "FloeGRPC",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]),
        // The HTTP server (`floe serve`): routes, SSE, error mapping, admission control; and the
        // Arctic gRPC embedding service.
        .target(
            name: "FloeServer",
            dependencies: [
                "FloeOpenAI", "FloeRunner", "FloeEngine", "FloeTokenizers", "FloeGRPC",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
            ]),
        .executableTarget(
            name: "floe",
            dependencies: [
                "FloeTensor", "FloeCPU", "FloeCUDA", "FloeCUDAChecks", "FloeWeights", "FloeTokenizers", "FloeModels", "FloeEngine", "FloeRunner", "FloeBench", "FloeServer", "FloeHub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "FloeCPUTests", dependencies: ["FloeCPU", "FloeTensor"]),
        .testTarget(name: "FloeCUDATests", dependencies: ["FloeCUDA", "FloeTensor"]),
        .testTarget(name: "FloeWeightsTests", dependencies: ["FloeWeights", "FloeTensor"]),
        .testTarget(name: "FloeTokenizersTests", dependencies: ["FloeTokenizers"]),
        .testTarget(name: "FloeRunnerTests", dependencies: ["FloeRunner", "FloeWeights", "FloeTokenizers"]),
        .testTarget(name: "FloeEngineTests", dependencies: ["FloeEngine"]),
        .testTarget(
            name: "FloeServerTests",
            dependencies: [
                "FloeEngine",
                "FloeServer", "FloeOpenAI", "FloeRunner", "FloeCPU",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "FloeHubTests",
            dependencies: [
                "FloeHub",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .testTarget(
            name: "FloeModelsTests",
            dependencies: ["FloeModels", "FloeRunner", "FloeEngine", "FloeCPU", "FloeWeights", "FloeTokenizers", "FloeTensor"]),
    ],
    swiftLanguageModes: [.v6]
)
