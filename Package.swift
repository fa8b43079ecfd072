// swift-tools-version: 6.0
import PackageDescription

let package = Package(
    name: "Floe",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "floe", targets: ["floe"]),
        .library(name: "FloeTensor", targets: ["FloeTensor"]),
        .library(name: "FloeCPU", targets: ["FloeCPU"]),
        .library(name: "FloeWeights", targets: ["FloeWeights"]),
        .library(name: "FloeTokenizers", targets: ["FloeTokenizers"]),
        .library(name: "FloeModels", targets: ["FloeModels"]),
        .library(name: "FloeEngine", targets: ["FloeEngine"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "FloeTensor"),
        // C kernels with run-time AVX-512/AVX2/scalar dispatch; always optimised (even in debug
        // builds) so test runs stay fast. See Sources/CFloeKernels/include/CFloeKernels.h.
        .target(name: "CFloeKernels", cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "FloeCPU", dependencies: ["FloeTensor", "CFloeKernels"]),
        .executableTarget(name: "FloeKernelBench", dependencies: ["FloeCPU", "FloeTensor", "CFloeKernels"]),
        .target(name: "FloeWeights", dependencies: ["FloeTensor"]),
        .target(name: "FloeTokenizers"),
        .target(name: "FloeModels", dependencies: ["FloeTensor", "FloeWeights"]),
        .target(name: "FloeEngine"),
        .target(name: "FloeRunner", dependencies: ["FloeEngine", "FloeModels", "FloeTensor", "FloeWeights", "FloeTokenizers"]),
        .target(name: "FloeBench", dependencies: ["FloeRunner", "FloeModels", "FloeEngine", "FloeTensor"]),
        .executableTarget(
            name: "floe",
            dependencies: [
                "FloeTensor", "FloeCPU", "FloeWeights", "FloeTokenizers", "FloeModels", "FloeEngine", "FloeRunner", "FloeBench",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "FloeCPUTests", dependencies: ["FloeCPU", "FloeTensor"]),
        .testTarget(name: "FloeWeightsTests", dependencies: ["FloeWeights", "FloeTensor"]),
        .testTarget(name: "FloeTokenizersTests", dependencies: ["FloeTokenizers"]),
        .testTarget(name: "FloeRunnerTests", dependencies: ["FloeRunner", "FloeWeights", "FloeTokenizers"]),
        .testTarget(name: "FloeEngineTests", dependencies: ["FloeEngine"]),
        .testTarget(
            name: "FloeModelsTests",
            dependencies: ["FloeModels", "FloeRunner", "FloeEngine", "FloeCPU", "FloeWeights", "FloeTokenizers", "FloeTensor"]),
    ],
    swiftLanguageModes: [.v6]
)
