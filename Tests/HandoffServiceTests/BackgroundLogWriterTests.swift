import Foundation
@testable import HandoffService
import Synchronization
import Testing

@Suite("Log lines written in the background")
struct BackgroundLogWriterTests {
    /// Writes through a writer into a pipe from several threads at once and reads back what arrived.
    private func roundTrip(threads: Int, lines: Int, limit: Int) async throws -> [String] {
        let pipe = Pipe()
        let writer = BackgroundLogWriter(descriptor: pipe.fileHandleForWriting.fileDescriptor, delay: .milliseconds(5), limit: limit)
        // Read while writing (a pipe holds 64 KiB), on a thread of its own: a blocking read must not hold
        // one of the few threads the writing tasks need.
        let read = Mutex(Data())
        let done = DispatchSemaphore(value: 0)
        Thread {
            read.withLock { $0 = pipe.fileHandleForReading.readDataToEndOfFile() }
            done.signal()
        }.start()
        await withTaskGroup(of: Void.self) { group in
            for thread in 0..<threads {
                group.addTask {
                    for line in 0..<lines { writer.write("writer \(thread) line \(line)\n") }
                }
            }
        }
        writer.flush()
        try pipe.fileHandleForWriting.close()
        done.wait()
        return String(decoding: read.withLock { $0 }, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    @Test("every line arrives whole, once, and each thread's lines in their order", arguments: [4 << 20, 1_000])
    func everyLineInOrder(limit: Int) async throws {
        let received = try await roundTrip(threads: 4, lines: 5_000, limit: limit)
        #expect(received.count == 20_000)
        for thread in 0..<4 {
            let own = received.filter { $0.hasPrefix("writer \(thread) ") }
            #expect(own == (0..<5_000).map { "writer \(thread) line \($0)" })
        }
    }

    @Test("a line is written within milliseconds without a flush")
    func writtenSoon() async throws {
        let pipe = Pipe()
        let writer = BackgroundLogWriter(descriptor: pipe.fileHandleForWriting.fileDescriptor, delay: .milliseconds(5))
        writer.write("one line\n")
        let deadline = ContinuousClock.now + .seconds(10)
        // Non-blocking reads: a blocking one would hold a thread the test run needs.
        _ = fcntl(pipe.fileHandleForReading.fileDescriptor, F_SETFL, O_NONBLOCK)
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 256)
        // A read after every wait, the last one included: a sleep stretched past the deadline by a busy
        // machine must not end the test before it looks again.
        while true {
            let count = read(pipe.fileHandleForReading.fileDescriptor, &buffer, buffer.count)
            if count > 0 { data.append(contentsOf: buffer[..<count]) }
            if data.contains(UInt8(ascii: "\n")) || ContinuousClock.now >= deadline { break }
            if count <= 0 { try await Task.sleep(for: .milliseconds(1)) }
        }
        #expect(String(decoding: data, as: UTF8.self) == "one line\n")
    }
}
