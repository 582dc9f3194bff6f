public import Logging
public import ServiceLifecycle
import UnixSignals

/// Reloads the configuration file on SIGHUP: validated first; on error the old rules stay.
public struct ConfigReloader: Service {
    let path: String
    let pipeline: HandoffPipeline
    let logger: Logger

    public init(path: String, pipeline: HandoffPipeline, logger: Logger) {
        self.path = path
        self.pipeline = pipeline
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let configuration = try HandoffdConfiguration.load(path: path)
                pipeline.reload(policy: configuration.policy)
                logger.info("configuration reloaded", metadata: [LogKey.policyVersion: "\(configuration.policy.version)"])
            } catch {
                logger.error("configuration not reloaded; the previous rules stay in force", metadata: ["error": "\(error)"])
            }
        }
    }
}
