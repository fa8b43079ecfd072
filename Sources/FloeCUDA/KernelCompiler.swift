import CFloeCUDA
import Foundation

/// Compiles CUDA C++ to a cubin with NVRTC, caching results on disk by a hash of the source,
/// the target architecture and the NVRTC version (a warm start skips the compiler).
public struct KernelCompiler: Sendable {
    let nvrtc: FloeNVRTC
    public let cacheFolder: String?

    public init(cacheFolder: String? = KernelCompiler.defaultCacheFolder) throws {
        nvrtc = try CUDALibraries.loadNVRTC().0
        self.cacheFolder = cacheFolder
    }

    init(nvrtc: FloeNVRTC, cacheFolder: String?) {
        self.nvrtc = nvrtc
        self.cacheFolder = cacheFolder
    }

    /// `$FLOE_CACHE_DIR/cuda`, else `$XDG_CACHE_HOME/floe/cuda`, else `~/.cache/floe/cuda`.
    public static var defaultCacheFolder: String? {
        let env = ProcessInfo.processInfo.environment
        if let dir = env["FLOE_CACHE_DIR"] { return dir + "/cuda" }
        if let dir = env["XDG_CACHE_HOME"] { return dir + "/floe/cuda" }
        if let home = env["HOME"] { return home + "/.cache/floe/cuda" }
        return nil
    }

    public var version: String {
        var major: Int32 = 0, minor: Int32 = 0
        _ = nvrtc.nvrtcVersion(&major, &minor)
        return "\(major).\(minor)"
    }

    /// The cubin for `source` on `architecture` (e.g. `sm_90`).
    public func compile(_ source: String, architecture: String, name: String = "floe.cu") throws -> [UInt8] {
        let options = ["--gpu-architecture=\(architecture)", "-std=c++17", "-default-device"]
        let key = Self.fnv1a(source + "\u{0}" + architecture + "\u{0}" + version + "\u{0}" + options.joined(separator: " "))
        let cachePath = cacheFolder.map { "\($0)/\(name)-\(architecture)-\(String(key, radix: 16)).cubin" }
        if let cachePath, let cached = FileManager.default.contents(atPath: cachePath), !cached.isEmpty {
            return [UInt8](cached)
        }
        var program: nvrtcProgram?
        try check(nvrtc.nvrtcCreateProgram(&program, source, name, 0, nil, nil), "nvrtcCreateProgram")
        defer { _ = nvrtc.nvrtcDestroyProgram(&program) }
        let result = withCStrings(options) { nvrtc.nvrtcCompileProgram(program, Int32(options.count), $0) }
        if result != 0 {
            throw CUDAError("NVRTC could not compile \(name) for \(architecture):\n\(log(program))")
        }
        var size = 0
        try check(nvrtc.nvrtcGetCUBINSize(program, &size), "nvrtcGetCUBINSize")
        var cubin = [UInt8](repeating: 0, count: size)
        try cubin.withUnsafeMutableBufferPointer { buffer in
            try buffer.withMemoryRebound(to: CChar.self) { try check(nvrtc.nvrtcGetCUBIN(program, $0.baseAddress), "nvrtcGetCUBIN") }
        }
        if let cachePath, let folder = cacheFolder {
            // Best effort: a read-only home only costs a recompile next time.
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let temporary = cachePath + ".\(getpid()).tmp"
            if FileManager.default.createFile(atPath: temporary, contents: Data(cubin)) {
                _ = rename(temporary, cachePath)
            }
        }
        return cubin
    }

    private func log(_ program: nvrtcProgram?) -> String {
        var size = 0
        guard nvrtc.nvrtcGetProgramLogSize(program, &size) == 0, size > 1 else { return "(no log)" }
        var bytes = [CChar](repeating: 0, count: size)
        _ = nvrtc.nvrtcGetProgramLog(program, &bytes)
        return String(cString: bytes)
    }

    private func check(_ result: nvrtcResult, _ what: String) throws {
        guard result != 0 else { return }
        throw CUDAError("\(what) failed: \(nvrtc.nvrtcGetErrorString(result).map { String(cString: $0) } ?? "NVRTC error \(result)")")
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }
}

/// Calls `body` with a C array of C strings that lives for the call.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { $0.map { UnsafePointer<CChar>($0) } }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
