public import Logging
public import ServiceLifecycle
import UnixSignals

/// Reloads the configuration file on SIGHUP: validated first; on error the old rules stay.
public struct ConfigReloader: Service {
    let path: String
    let pipeline: HandoffPipeline
    let logger: Logger
    /// The configuration the process started with: only the rules are reloaded live.
    let running: HandoffdConfiguration

    public init(path: String, pipeline: HandoffPipeline, running: HandoffdConfiguration, logger: Logger) {
        self.path = path
        self.pipeline = pipeline
        self.running = running
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        for await _ in signals.cancelOnGracefulShutdown() {
            do {
                let configuration = try HandoffdConfiguration.load(path: path)
                pipeline.reload(policy: configuration.policy)
                logger.info("rules reloaded", metadata: [LogKey.policyVersion: "\(configuration.policy.version)"])
                var others = configuration
                others.policy = running.policy
                if others != running {
                    logger.warning("the configuration also changed outside rules, routing and priority (topics, kafka, limits, processing, admin, quality_gates, source, instance): those changes take effect after a restart")
                }
            } catch {
                logger.error("configuration not reloaded; the previous rules stay in force", metadata: ["error": "\(error)"])
            }
        }
    }
}
