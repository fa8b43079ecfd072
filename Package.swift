// swift-tools-version: 6.0
import PackageDescription

/// Hot CPU kernels are compiled for x86-64-v3 (Haswell: AVX2 + FMA + F16C), the portable level
/// every server CPU of the last decade has; see docs/architecture.md "CPU code generation".
/// Faster paths (AVX-512) are chosen at run time inside CFloeKernels.
let kernelSwiftFlags: [SwiftSetting] = [
    .unsafeFlags(["-Ounchecked", "-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"], .when(configuration: .release)),
    .unsafeFlags(["-Xcc", "-mavx2", "-Xcc", "-mfma", "-Xcc", "-mf16c"], .when(configuration: .debug)),
]

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
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        .target(name: "FloeTensor"),
        .target(name: "FloeCPU", dependencies: ["FloeTensor"]),
        .target(name: "FloeWeights", dependencies: ["FloeTensor"]),
        .target(name: "FloeTokenizers"),
        .target(name: "FloeModels", dependencies: ["FloeTensor", "FloeWeights"]),
        .executableTarget(
            name: "floe",
            dependencies: [
                "FloeTensor", "FloeCPU", "FloeWeights", "FloeTokenizers", "FloeModels",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "FloeCPUTests", dependencies: ["FloeCPU", "FloeTensor"]),
        .testTarget(name: "FloeWeightsTests", dependencies: ["FloeWeights", "FloeTensor"]),
        .testTarget(name: "FloeTokenizersTests", dependencies: ["FloeTokenizers"]),
        .testTarget(
            name: "FloeModelsTests",
            dependencies: ["FloeModels", "FloeCPU", "FloeWeights", "FloeTokenizers", "FloeTensor"]),
    ],
    swiftLanguageModes: [.v6]
)
