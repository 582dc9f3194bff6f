import Foundation
import Synchronization

/// Log lines written to a file descriptor by a thread of their own, a few milliseconds' worth at a time.
///
/// Written straight, every line cost the thread that logged it a system call, and a context switch
/// whenever the process reading the pipe woke up for it: on the processing loop, at a thousand
/// handoffs a second, that was the loop's largest wait. Here a line costs a copy into memory. Lines
/// keep their order. If the writer falls behind by more than `limit` bytes (a reader that stopped
/// reading), the logging thread writes them itself and waits as before: nothing is dropped. Lines
/// not yet written when the process is killed are lost (at most `delay` worth); a normal exit writes
/// them (``flush()``, also registered with `atexit` for ``standardError``).
public final class BackgroundLogWriter: Sendable {
    /// Standard error, the log of `handoffd`.
    public static let standardError: BackgroundLogWriter = {
        let writer = BackgroundLogWriter(descriptor: 2)
        atexit { BackgroundLogWriter.standardError.flush() }
        return writer
    }()

    private let descriptor: Int32
    private let delay: Duration
    private let limit: Int
    private let pending = Mutex<[UInt8]>([])
    /// Held while a batch is taken and written, so batches go out in the order their lines came.
    private let writing = Mutex(())
    private let wake = DispatchSemaphore(value: 0)

    init(descriptor: Int32, delay: Duration = .milliseconds(5), limit: Int = 4 << 20) {
        self.descriptor = descriptor
        self.delay = delay
        self.limit = limit
        let thread = Thread { [self] in
            while true {
                wake.wait()
                Thread.sleep(forTimeInterval: delay.seconds)
                flush()
            }
        }
        thread.name = "log-writer"
        thread.start()
    }

    /// Queues text to be written; wakes the writer for the first text of a batch.
    public func write(_ text: String) {
        let size = pending.withLock { pending -> Int in
            pending.append(contentsOf: text.utf8)
            return pending.count
        }
        if size > limit {
            flush()
        } else if size == text.utf8.count {
            wake.signal()
        }
    }

    /// Writes everything queued so far, and returns when it is written (or the descriptor failed).
    public func flush() {
        writing.withLock { _ in
            let batch = pending.withLock { pending -> [UInt8] in
                defer { pending = [] }
                return pending
            }
            batch.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Foundation.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }

    /// A stream for `StreamLogHandler` that writes through this writer.
    public var stream: Stream { Stream(writer: self) }

    public struct Stream: TextOutputStream, Sendable {
        let writer: BackgroundLogWriter
        public mutating func write(_ string: String) { writer.write(string) }
    }
}
