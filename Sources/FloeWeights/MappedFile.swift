#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import FloeTensor

/// Maps a whole file read-only into memory as a `Storage` that unmaps it when the last tensor
/// viewing it goes away. Pages are read lazily by the OS, so opening a multi-GB model costs
/// only the header parse; `PROT_READ` makes an accidental write into weights fault loudly
/// instead of silently changing them.
enum MappedFile {
    static func map(_ path: String) throws -> Storage {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw WeightsError(.cannotOpen(reason: errnoText()), path: path) }
        defer { close(descriptor) }

        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw WeightsError(.cannotOpen(reason: errnoText()), path: path) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw WeightsError(.cannotOpen(reason: "not a regular file"), path: path)
        }
        let size = Int(info.st_size)
        // mmap rejects length 0; an empty file still opens, and its parser reports it truncated.
        guard size > 0 else { return Storage.allocateHost(byteCount: 0) }

        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0)
        guard let address, address != MAP_FAILED else {
            throw WeightsError(.cannotOpen(reason: "mmap: \(errnoText())"), path: path)
        }
        return Storage(location: .host, address: address, byteCount: size) { address, size in
            munmap(address, size)
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
