// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "handoffd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "handoffd", targets: ["handoffd"]),
        .executable(name: "handoff-bench", targets: ["handoff-bench"]),
        .executable(name: "handoff-fuzz", targets: ["handoff-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The only place librdkafka's C API is declared.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        // The only code that calls librdkafka.
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Conversation state, signals, rules, triage, summaries: no I/O at all.
        .target(name: "HandoffCore", swiftSettings: strict),
        // Adapter: the model endpoint (OpenAI-compatible chat completions over FoundationNetworking/libcurl).
        .target(
            name: "HandoffLLM",
            dependencies: [
                "HandoffCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Adapters: configuration, the Kafka pipeline, replay, demo.
        .target(
            name: "HandoffService",
            dependencies: [
                "HandoffCore",
                "HandoffLLM",
                "Kafka",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        // The admin HTTP endpoint: /metrics (Prometheus), /healthz, /readyz.
        .target(
            name: "HandoffAdmin",
            dependencies: [
                "HandoffService",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "handoffd",
            dependencies: [
                "HandoffService",
                "HandoffLLM",
                "HandoffAdmin",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict,
            // jemalloc as the process's allocator (libjemalloc-dev): the daemon allocates and frees on
            // many threads at once, where glibc's arenas cost it about an eighth of its throughput
            // (docs/performance.md). Linked by the executable only; libraries and tests keep the system's.
            linkerSettings: [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]
        ),
        .executableTarget(
            name: "handoff-bench",
            dependencies: ["HandoffService", "HandoffCore", "Kafka", "HandoffAdmin", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "handoff-fuzz",
            dependencies: ["HandoffCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HandoffCoreTests",
            dependencies: ["HandoffCore"],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HandoffServiceTests",
            dependencies: ["HandoffService", "HandoffCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KafkaIntegrationTests",
            dependencies: ["HandoffService", "HandoffCore", "Kafka", "CRdKafka", "HandoffAdmin", "HandoffLLM",
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict
        ),
    ]
)
