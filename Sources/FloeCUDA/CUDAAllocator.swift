import CFloeCUDA
import FloeTensor
import Synchronization

/// Device memory with a free list per rounded size, so buffers freed and allocated again each
/// step (scratch regrowth, graph buckets) cost no driver call. Storages hand their blocks back
/// here when their last tensor goes away.
final class CUDAAllocator: @unchecked Sendable {
    private let device: CUDADevice
    private let cached = Mutex<[Int: [CUdeviceptr]]>([:])

    init(device: CUDADevice) { self.device = device }

    /// Sizes round up to 512 bytes below 1 MiB and to 2 MiB above, which bounds waste and keeps
    /// the number of distinct free lists small.
    static func roundedSize(_ bytes: Int) -> Int {
        let size = max(bytes, 1)
        let granule = size < 1 << 20 ? 512 : 2 << 20
        return (size + granule - 1) / granule * granule
    }

    /// A storage of at least `bytes` bytes (contents undefined).
    func allocate(bytes: Int) throws -> Storage {
        let size = Self.roundedSize(bytes)
        let reused = cached.withLock { lists -> CUdeviceptr? in lists[size]?.popLast() }
        let pointer: CUdeviceptr
        if let reused {
            pointer = reused
        } else {
            device.bind()
            var fresh: CUdeviceptr = 0
            var result = device.driver.cuMemAlloc(&fresh, size)
            if result != 0 {
                releaseCached()
                result = device.driver.cuMemAlloc(&fresh, size)
            }
            if result != 0 {
                let free = (try? device.memoryInfo().free) ?? 0
                try device.driver.check(result, "allocating \(size >> 20) MiB on \(device.name) (\(free >> 20) MiB free)")
            }
            pointer = fresh
        }
        return Storage(
            location: .cuda(ordinal: device.ordinal), address: UnsafeMutableRawPointer(bitPattern: UInt(pointer))!,
            byteCount: bytes
        ) { [weak self] address, _ in
            let pointer = CUdeviceptr(UInt(bitPattern: address))
            self?.cached.withLock { $0[size, default: []].append(pointer) }
        }
    }

    /// Returns every cached block to the driver.
    func releaseCached() {
        let blocks = cached.withLock { lists -> [CUdeviceptr] in
            defer { lists.removeAll() }
            return lists.values.flatMap { $0 }
        }
        device.bind()
        for block in blocks { _ = device.driver.cuMemFree(block) }
    }
}
