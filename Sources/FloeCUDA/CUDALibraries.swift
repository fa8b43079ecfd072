import CFloeCUDA
import Foundation

/// The CUDA driver, NVRTC and cuBLASLt, bound at run time so one binary runs with or without a GPU.
///
/// Libraries are looked up where CUDA installs put them (`$FLOE_CUDA_LIB_DIR`, `$CUDA_HOME`,
/// `/usr/local/cuda`, PyTorch's and pip's `nvidia/*` folders), then by soname through the loader
/// path (`LD_LIBRARY_PATH`), so users need not set anything.
public final class CUDALibraries: @unchecked Sendable {
    public let driver: FloeCUDADriver
    public let nvrtc: FloeNVRTC
    public let cublasLt: FloeCublasLt?
    public let nvrtcPath: String

    /// The process-wide binding, made once; its error says which library is missing.
    public static let shared: Result<CUDALibraries, CUDAError> = Result { try CUDALibraries() }.mapError {
        $0 as? CUDAError ?? CUDAError("\($0)")
    }

    private init() throws {
        var driver = FloeCUDADriver()
        try Self.load("libcuda.so.1", names: ["libcuda.so.1", "libcuda.so"], what: "the NVIDIA driver (no GPU driver installed?)") {
            floe_cuda_load_driver($0, &driver)
        }
        self.driver = driver
        (nvrtc, nvrtcPath) = try Self.loadNVRTC()
        var lt = FloeCublasLt()
        do {
            try Self.load("libcublasLt", names: ["libcublasLt.so.13", "libcublasLt.so.12", "libcublasLt.so"], what: "cuBLASLt") {
                floe_cuda_load_cublaslt($0, &lt)
            }
            cublasLt = lt
        } catch {
            cublasLt = nil
        }
    }

    /// NVRTC alone: what compiling kernels needs (CI checks kernel sources with just this).
    public static func loadNVRTC() throws -> (FloeNVRTC, String) {
        var table = FloeNVRTC()
        let path = try load("libnvrtc", names: ["libnvrtc.so.13", "libnvrtc.so.12", "libnvrtc.so"], what: "NVRTC") { path in
            // NVRTC opens its builtins library by soname; load it from the same folder first.
            let folder = (path as NSString).deletingLastPathComponent
            if let builtins = try? FileManager.default.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder)
                .filter({ $0.hasPrefix("libnvrtc-builtins.so") }).sorted().last
            {
                _ = floe_cuda_preload(folder + "/" + builtins)
            }
            return floe_cuda_load_nvrtc(path, &table)
        }
        return (table, path)
    }

    /// Folders to search, most specific first.
    static var searchFolders: [String] {
        let env = ProcessInfo.processInfo.environment
        var folders: [String] = []
        if let dir = env["FLOE_CUDA_LIB_DIR"] { folders.append(dir) }
        for home in [env["CUDA_HOME"], env["CUDA_PATH"], "/usr/local/cuda"].compactMap({ $0 }) {
            folders += [home + "/targets/x86_64-linux/lib", home + "/lib64", home + "/lib"]
        }
        for root in ["/opt/torch/.venv/lib/python3.12/site-packages/nvidia", "/usr/local/lib/python3.12/dist-packages/nvidia"] {
            folders += ["cu13/lib", "cuda_nvrtc/lib", "cublas/lib"].map { root + "/" + $0 }
        }
        return folders
    }

    @discardableResult
    static func load(
        _ label: String, names: [String], what: String, bind: (String) -> UnsafePointer<CChar>?
    ) throws -> String {
        var failures: [String] = []
        let candidates = searchFolders.flatMap { folder in names.map { folder + "/" + $0 } }
            .filter { FileManager.default.fileExists(atPath: $0) } + names
        for candidate in candidates {
            if let failure = bind(candidate) { failures.append(String(cString: failure)) } else { return candidate }
        }
        throw CUDAError("cannot load \(what) (\(label)): " + (failures.last ?? "not found"))
    }
}

extension FloeCUDADriver {
    /// Throws with the driver's own words for a failed call.
    func check(_ result: CUresult, _ what: @autoclosure () -> String) throws {
        guard result != 0 else { return }
        var text: UnsafePointer<CChar>?
        _ = cuGetErrorString(result, &text)
        throw CUDAError("\(what()) failed: \(text.map { String(cString: $0) } ?? "CUDA error \(result)")")
    }
}
