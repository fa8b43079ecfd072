#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a storage's bytes live.
public enum DeviceLocation: Sendable, Hashable {
    case host
    case cuda(ordinal: Int)
}

/// A block of bytes with identity: host memory we allocated, a memory-mapped file region, or
/// device memory. Tensors are values that point into a storage; the storage frees its bytes
/// when the last tensor that uses it goes away.
public final class Storage: @unchecked Sendable {
    public let location: DeviceLocation
    /// Host address, or the device address for CUDA storages.
    public let address: UnsafeMutableRawPointer
    public let byteCount: Int
    private let release: (@Sendable (UnsafeMutableRawPointer, Int) -> Void)?

    public init(
        location: DeviceLocation, address: UnsafeMutableRawPointer, byteCount: Int,
        release: (@Sendable (UnsafeMutableRawPointer, Int) -> Void)?
    ) {
        self.location = location
        self.address = address
        self.byteCount = byteCount
        self.release = release
    }

    deinit { release?(address, byteCount) }

    /// Zero-filled host memory, 64-byte aligned so SIMD loads of whole cache lines are safe.
    /// Large buffers (KV caches) come straight from the kernel's zero pages, so memory is
    /// only committed as it is written and resident-size figures stay honest.
    public static func allocateHost(byteCount: Int) -> Storage {
        let size = Swift.max(byteCount, 1)
        if size >= 1 << 20,
            let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
            mapped != MAP_FAILED
        {
            return Storage(location: .host, address: mapped, byteCount: byteCount) { pointer, _ in
                munmap(pointer, size)
            }
        }
        let pointer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        return Storage(location: .host, address: pointer, byteCount: byteCount) { pointer, _ in
            pointer.deallocate()
        }
    }
}
