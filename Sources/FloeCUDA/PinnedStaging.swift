import CFloeCUDA

/// Page-locked host memory for copies between host and device. Uploads are bump-allocated and
/// stay untouched until the stream has consumed them: the arena resets only after the stream is
/// synchronized (at every read-back, and when it fills up).
final class PinnedStaging: @unchecked Sendable {
    private let device: CUDADevice
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    private var used = 0

    init(device: CUDADevice, capacity: Int = 16 << 20) throws {
        self.device = device
        self.capacity = capacity
        var pointer: UnsafeMutableRawPointer?
        try device.driver.check(device.driver.cuMemAllocHost(&pointer, capacity), "allocating \(capacity >> 20) MiB of pinned host memory")
        base = pointer!
    }

    deinit { _ = device.driver.cuMemFreeHost(base) }

    /// Copies `bytes` from `source` to the device address `destination`, asynchronously.
    func upload(_ source: UnsafeRawPointer, bytes: Int, to destination: CUdeviceptr) {
        guard bytes > 0 else { return }
        // A recorded copy would read this arena again at every replay, long after it was reused.
        precondition(!device.isCapturing, "an upload of \(bytes) bytes inside a recorded graph (stage its inputs before recording)")
        let region = reserve(bytes)
        region.copyMemory(from: source, byteCount: bytes)
        device.noteStreamWork()
        cudaRequire(device.driver.cuMemcpyHtoDAsync(destination, region, bytes, device.stream), device.driver, "upload of \(bytes) bytes")
    }

    /// Copies `bytes` from the device into `destination`, waiting for the stream.
    func download(from source: CUdeviceptr, bytes: Int, into destination: UnsafeMutableRawPointer) {
        guard bytes > 0 else { return }
        precondition(!device.isCapturing, "a read-back inside a recorded graph")
        streamDidSynchronize()
        var offset = 0
        while offset < bytes {
            let chunk = min(capacity, bytes - offset)
            cudaRequire(device.driver.cuMemcpyDtoHAsync(base, source + CUdeviceptr(offset), chunk, device.stream), device.driver, "download of \(chunk) bytes")
            cudaRequire(device.driver.cuStreamSynchronize(device.stream), device.driver, "download")
            (destination + offset).copyMemory(from: base, byteCount: chunk)
            offset += chunk
        }
    }

    /// Called once everything issued has finished: the whole arena is free again.
    func streamDidSynchronize() { used = 0 }

    private func reserve(_ bytes: Int) -> UnsafeMutableRawPointer {
        let aligned = (bytes + 255) & ~255
        if used + aligned > capacity {
            // Wait for the copies still reading the arena, then grow if one request is too big.
            cudaRequire(device.driver.cuStreamSynchronize(device.stream), device.driver, "staging flush")
            used = 0
            if aligned > capacity {
                _ = device.driver.cuMemFreeHost(base)
                var pointer: UnsafeMutableRawPointer?
                cudaRequire(device.driver.cuMemAllocHost(&pointer, aligned), device.driver, "pinned staging of \(aligned) bytes")
                base = pointer!
                capacity = aligned
            }
        }
        defer { used += aligned }
        return base + used
    }
}
