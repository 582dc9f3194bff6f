import Foundation
import HandoffCore
import Yams

extension HandoffdConfiguration {
    /// Reads and validates a YAML configuration file.
    /// - Throws: ``ConfigurationError`` listing every problem, each with its key and line.
    public static func load(path: String) throws(ConfigurationError) -> HandoffdConfiguration {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError(file: path, problems: ["cannot read the file (does it exist, and may this user read it?)"])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigurationError(file: path, problems: ["the file is not UTF-8 text"])
        }
        return try parse(yaml: text, file: path)
    }

    /// Parses and validates YAML text.
    public static func parse(yaml: String, file: String? = nil) throws(ConfigurationError) -> HandoffdConfiguration {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            throw ConfigurationError(file: file, problems: ["not valid YAML: \(error)"])
        }
        let reader = ConfigReader()
        var configuration = HandoffdConfiguration()
        configuration.read(root, reader)
        if !reader.problems.isEmpty { throw ConfigurationError(file: file, problems: reader.problems) }
        if configuration.policy.version == "default" {
            configuration.policy.version = "sha256:" + String(SHA256.hex(Array(canonicalPolicyText(root).utf8)).prefix(12))
        }
        return configuration
    }

    /// The rules-related sections as canonical JSON, so equal policies get equal versions.
    private static func canonicalPolicyText(_ root: Node?) -> String {
        func json(_ node: Node) -> JSONValue {
            if let mapping = node.mapping {
                var members: [String: JSONValue] = [:]
                for (key, value) in mapping { members[key.string ?? ""] = json(value) }
                return .object(members)
            }
            if let sequence = node.sequence { return .array(sequence.map(json)) }
            return .string(node.string ?? "")
        }
        var members: [String: JSONValue] = [:]
        for section in ["rules", "routing", "priority"] {
            if let node = root?.mapping?[section] { members[section] = json(node) }
        }
        return JSONWriter.string(.object(members))
    }

    private mutating func read(_ root: Node?, _ reader: ConfigReader) {
        let top = reader.mapping(root, "", allowed: ["source", "instance", "policy_version", "topics", "kafka", "limits", "processing", "admin", "quality_gates", "rules", "routing", "priority", "llm", "waits", "queues", "callbacks"])
        reader.string(top["source"], "source", into: &source)
        if let node = top["source"], let text = node.string, !text.contains(":") {
            reader.problem(node, "source", "must be a URI (e.g. urn:handoffd:prod or https://support.example.com/handoffd), got '\(text)'")
        }
        reader.string(top["policy_version"], "policy_version", into: &policy.version)
        reader.string(top["instance"], "instance", into: &instance)

        let topicNodes = reader.mapping(top["topics"], "topics", allowed: ["conversations", "agents", "handoffs", "directives", "deadletter", "alerts", "changelog", "callbacks"])
        reader.string(topicNodes["alerts"], "topics.alerts", into: &topics.alerts)
        reader.string(topicNodes["changelog"], "topics.changelog", into: &topics.changelog)
        reader.string(topicNodes["callbacks"], "topics.callbacks", into: &topics.callbacks)
        reader.string(topicNodes["conversations"], "topics.conversations", into: &topics.conversations)
        reader.string(topicNodes["agents"], "topics.agents", into: &topics.agents)
        reader.string(topicNodes["handoffs"], "topics.handoffs", into: &topics.handoffs)
        reader.string(topicNodes["directives"], "topics.directives", into: &topics.directives)
        reader.string(topicNodes["deadletter"], "topics.deadletter", into: &topics.deadLetter)
        let names = [topics.conversations, topics.agents, topics.handoffs, topics.directives, topics.deadLetter, topics.alerts, topics.changelog, topics.callbacks]
        if Set(names).count != names.count {
            reader.problem(top["topics"], "topics", "every topic needs its own name; got \(names.joined(separator: ", "))")
        }

        for (key, value) in reader.mapping(top["kafka"], "kafka", allowed: []) {
            if let text = value.string, value.scalar != nil {
                kafka[key] = text
            } else {
                reader.problem(value, "kafka.\(key)", "librdkafka properties must be scalar values")
            }
        }

        let limitNodes = reader.mapping(top["limits"], "limits", allowed: ["max_event_bytes", "max_text_length", "max_id_length", "max_array_length", "dead_letter_max_bytes"])
        reader.int(limitNodes["max_event_bytes"], "limits.max_event_bytes", into: &limits.maxEventBytes, range: 1024...(16 << 20))
        reader.int(limitNodes["max_text_length"], "limits.max_text_length", into: &limits.maxTextLength, range: 1...1_000_000)
        reader.int(limitNodes["max_id_length"], "limits.max_id_length", into: &limits.maxIDLength, range: 8...10_000)
        reader.int(limitNodes["max_array_length"], "limits.max_array_length", into: &limits.maxArrayLength, range: 1...100_000)
        reader.int(limitNodes["dead_letter_max_bytes"], "limits.dead_letter_max_bytes", into: &deadLetterMaxBytes, range: 0...(16 << 20))

        let processingNodes = reader.mapping(top["processing"], "processing", allowed: ["buffer_limit", "max_in_flight", "idle_timeout", "shutdown_timeout",
                                                                                     "repeat_contact_window", "repeat_contact_capacity", "changelog", "changelog_interval",
                                                                                     "guarantee", "transactional_id", "global_view_wait"])
        reader.bool(processingNodes["changelog"], "processing.changelog", into: &processing.changelog)
        if let node = processingNodes["guarantee"] {
            var text = ""
            reader.string(node, "processing.guarantee", into: &text)
            if let guarantee = Processing.Guarantee(rawValue: text) {
                processing.guarantee = guarantee
            } else if !text.isEmpty {
                reader.problem(node, "processing.guarantee", "must be one of \(Processing.Guarantee.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }
        if processing.guarantee == .exactlyOnce && !processing.changelog {
            reader.problem(processingNodes["guarantee"], "processing.guarantee",
                           "exactly_once needs processing.changelog: true (after an aborted transaction the state is read back from the changelog)")
        }
        if let node = processingNodes["transactional_id"] {
            var id = ""
            reader.string(node, "processing.transactional_id", into: &id)
            processing.transactionalID = id
        }
        reader.duration(processingNodes["repeat_contact_window"], "processing.repeat_contact_window", into: &processing.repeatContactWindow)
        reader.int(processingNodes["repeat_contact_capacity"], "processing.repeat_contact_capacity", into: &processing.repeatContactCapacity, range: 1...100_000_000)
        reader.int(processingNodes["buffer_limit"], "processing.buffer_limit", into: &processing.bufferLimit, range: 1...10_000_000)
        reader.int(processingNodes["max_in_flight"], "processing.max_in_flight", into: &processing.maxInFlight, range: 1...10_000_000)
        reader.duration(processingNodes["idle_timeout"], "processing.idle_timeout", into: &processing.idleTimeout)
        reader.duration(processingNodes["shutdown_timeout"], "processing.shutdown_timeout", into: &processing.shutdownTimeout)
        reader.duration(processingNodes["changelog_interval"], "processing.changelog_interval", into: &processing.changelogInterval)
        reader.duration(processingNodes["global_view_wait"], "processing.global_view_wait", into: &processing.globalViewWait)
        if processing.changelogInterval > .seconds(300) {
            reader.problem(processingNodes["changelog_interval"], "processing.changelog_interval",
                           "must be at most 5m: no record is committed before its changelog write, so a crash would process that much again")
        }

        let adminNodes = reader.mapping(top["admin"], "admin", allowed: ["enabled", "address", "port", "bearer_token_env"])
        reader.bool(adminNodes["enabled"], "admin.enabled", into: &admin.enabled)
        reader.string(adminNodes["address"], "admin.address", into: &admin.address)
        reader.int(adminNodes["port"], "admin.port", into: &admin.port, range: 0...65535)
        if let node = adminNodes["bearer_token_env"] {
            var name = ""
            reader.string(node, "admin.bearer_token_env", into: &name)
            if !name.isEmpty { admin.bearerTokenEnvironment = name }
        }

        readQualityGates(top["quality_gates"], reader)
        readLLM(top["llm"], reader)
        readWaits(top["waits"], reader)
        readQueues(top["queues"], callbacks: top["callbacks"], reader)
        readRules(top["rules"], reader)
        readRouting(top["routing"], reader)
        readPriority(top["priority"], reader)
    }

    private mutating func readWaits(_ node: Node?, _ reader: ConfigReader) {
        let nodes = reader.mapping(node, "waits", allowed: ["default_handle_time", "handle_times", "history_window", "update_interval", "max_silence", "stats_interval", "stale_after"])
        reader.duration(nodes["stale_after"], "waits.stale_after", into: &waits.staleAfter)
        reader.duration(nodes["default_handle_time"], "waits.default_handle_time", into: &waits.defaultHandleTime)
        reader.duration(nodes["history_window"], "waits.history_window", into: &waits.historyWindow)
        reader.duration(nodes["update_interval"], "waits.update_interval", into: &waits.updateInterval)
        reader.duration(nodes["max_silence"], "waits.max_silence", into: &waits.maxSilence)
        reader.duration(nodes["stats_interval"], "waits.stats_interval", into: &waits.statsInterval)
        for (queue, value) in reader.mapping(nodes["handle_times"], "waits.handle_times", allowed: []) {
            var duration: Duration = .zero
            reader.duration(value, "waits.handle_times.\(queue)", into: &duration)
            waits.handleTimes[queue] = duration
        }
        for (key, duration) in [("default_handle_time", waits.defaultHandleTime), ("update_interval", waits.updateInterval)] where duration <= .zero {
            reader.problem(nodes[key], "waits.\(key)", "must be more than zero")
        }
    }

    private mutating func readRules(_ node: Node?, _ reader: ConfigReader) {
        let rules = reader.mapping(node, "rules", allowed: ["strict", "repeat_similarity", "transcript_limit", "transcript_text_limit", "explicit_request", "sensitive_topic",
                                                            "frustration", "dead_end", "beyond_documentation", "low_confidence", "offer"])
        reader.bool(rules["strict"], "rules.strict", into: &policy.strict)
        reader.double(rules["repeat_similarity"], "rules.repeat_similarity", into: &policy.repeatSimilarity, range: 0...1)
        reader.int(rules["transcript_limit"], "rules.transcript_limit", into: &policy.transcriptLimit, range: 1...200)
        reader.int(rules["transcript_text_limit"], "rules.transcript_text_limit", into: &policy.transcriptTextLimit, range: 100...20_000)

        let explicit = reader.mapping(rules["explicit_request"], "rules.explicit_request", allowed: ["enabled"])
        reader.bool(explicit["enabled"], "rules.explicit_request.enabled", into: &policy.explicitRequest.enabled)

        let sensitive = reader.mapping(rules["sensitive_topic"], "rules.sensitive_topic", allowed: ["enabled", "categories", "minimum_score"])
        reader.bool(sensitive["enabled"], "rules.sensitive_topic.enabled", into: &policy.sensitiveTopic.enabled)
        reader.double(sensitive["minimum_score"], "rules.sensitive_topic.minimum_score", into: &policy.sensitiveTopic.minimumScore, range: 0.5...100)
        if let list = sensitive["categories"] {
            if let categories = categoryList(list, "rules.sensitive_topic.categories", reader) { policy.sensitiveTopic.categories = Set(categories) }
        }

        let frustration = reader.mapping(rules["frustration"], "rules.frustration", allowed: ["enabled", "unsuccessful_replies", "message_score", "cumulative_score"])
        reader.bool(frustration["enabled"], "rules.frustration.enabled", into: &policy.frustration.enabled)
        reader.int(frustration["unsuccessful_replies"], "rules.frustration.unsuccessful_replies", into: &policy.frustration.unsuccessfulReplies, range: 1...50)
        reader.double(frustration["message_score"], "rules.frustration.message_score", into: &policy.frustration.messageScore, range: 0.5...100)
        reader.double(frustration["cumulative_score"], "rules.frustration.cumulative_score", into: &policy.frustration.cumulativeScore, range: 0.5...100)

        let deadEnd = reader.mapping(rules["dead_end"], "rules.dead_end", allowed: ["enabled", "growing_replies", "growth_factor", "growing_minimum_length",
                                                                                      "clarifying_questions", "reword_similarity", "reworded_replies"])
        reader.bool(deadEnd["enabled"], "rules.dead_end.enabled", into: &policy.deadEnd.enabled)
        reader.int(deadEnd["growing_replies"], "rules.dead_end.growing_replies", into: &policy.deadEnd.growingReplies, range: 2...20)
        reader.double(deadEnd["growth_factor"], "rules.dead_end.growth_factor", into: &policy.deadEnd.growthFactor, range: 1...100)
        reader.int(deadEnd["growing_minimum_length"], "rules.dead_end.growing_minimum_length", into: &policy.deadEnd.growingMinimumLength, range: 0...100_000)
        reader.int(deadEnd["clarifying_questions"], "rules.dead_end.clarifying_questions", into: &policy.deadEnd.clarifyingQuestions, range: 1...20)
        reader.double(deadEnd["reword_similarity"], "rules.dead_end.reword_similarity", into: &policy.deadEnd.rewordSimilarity, range: 0...1)
        reader.int(deadEnd["reworded_replies"], "rules.dead_end.reworded_replies", into: &policy.deadEnd.rewordedReplies, range: 1...20)

        let beyond = reader.mapping(rules["beyond_documentation"], "rules.beyond_documentation", allowed: ["enabled", "technical_score"])
        reader.bool(beyond["enabled"], "rules.beyond_documentation.enabled", into: &policy.beyondDocumentation.enabled)
        reader.double(beyond["technical_score"], "rules.beyond_documentation.technical_score", into: &policy.beyondDocumentation.technicalScore, range: 0.5...100)

        let low = reader.mapping(rules["low_confidence"], "rules.low_confidence", allowed: ["enabled", "threshold", "consecutive", "consecutive_for_sensitive"])
        reader.bool(low["enabled"], "rules.low_confidence.enabled", into: &policy.lowConfidence.enabled)
        reader.double(low["threshold"], "rules.low_confidence.threshold", into: &policy.lowConfidence.threshold, range: 0...1)
        reader.int(low["consecutive"], "rules.low_confidence.consecutive", into: &policy.lowConfidence.consecutive, range: 1...20)
        reader.int(low["consecutive_for_sensitive"], "rules.low_confidence.consecutive_for_sensitive", into: &policy.lowConfidence.consecutiveForSensitive, range: 1...20)

        let offer = reader.mapping(rules["offer"], "rules.offer", allowed: ["enabled", "after_unsuccessful_replies"])
        reader.bool(offer["enabled"], "rules.offer.enabled", into: &policy.offer.enabled)
        reader.int(offer["after_unsuccessful_replies"], "rules.offer.after_unsuccessful_replies", into: &policy.offer.afterUnsuccessfulReplies, range: 1...50)
        if policy.offer.enabled && policy.frustration.enabled && policy.offer.afterUnsuccessfulReplies >= policy.frustration.unsuccessfulReplies {
            reader.problem(rules["offer"], "rules.offer.after_unsuccessful_replies",
                           "is \(policy.offer.afterUnsuccessfulReplies), but the handoff already happens at \(policy.frustration.unsuccessfulReplies) unsuccessful replies (rules.frustration.unsuccessful_replies): the offer would never be made. Make it smaller.")
        }
    }

    /// `quality_gates: { faithfulness_low: { threshold: 0.85, window: 30m }, … }`: overrides per gate.
    private mutating func readQualityGates(_ node: Node?, _ reader: ConfigReader) {
        let names = QualityGate.defaults.map(\.name)
        for (name, value) in reader.mapping(node, "quality_gates", allowed: names) {
            guard let index = qualityGates.firstIndex(where: { $0.name == name }) else { continue }
            let path = "quality_gates.\(name)"
            let members = reader.mapping(value, path, allowed: ["enabled", "threshold", "clear", "window", "minimum_samples", "baseline_window"])
            var gate = qualityGates[index]
            reader.bool(members["enabled"], "\(path).enabled", into: &gate.enabled)
            let range: ClosedRange<Double> = gate.baselineWindow == nil ? 0...1 : 1...100
            reader.double(members["threshold"], "\(path).threshold", into: &gate.threshold, range: range)
            reader.double(members["clear"], "\(path).clear", into: &gate.clear, range: range)
            var window: Duration = .milliseconds(gate.window)
            reader.duration(members["window"], "\(path).window", into: &window)
            if window < .seconds(60) { reader.problem(members["window"], "\(path).window", "must be at least 1m: a shorter window judges too few samples") }
            gate.window = window.milliseconds
            reader.int(members["minimum_samples"], "\(path).minimum_samples", into: &gate.minimumSamples, range: 1...1_000_000)
            if gate.baselineWindow != nil {
                var baseline: Duration = .milliseconds(gate.baselineWindow!)
                reader.duration(members["baseline_window"], "\(path).baseline_window", into: &baseline)
                if baseline.milliseconds <= gate.window {
                    reader.problem(members["baseline_window"] ?? value, "\(path).baseline_window", "must be longer than the window (\(gate.window / 60_000)m): the baseline is the time before it")
                }
                gate.baselineWindow = baseline.milliseconds
            } else if members["baseline_window"] != nil {
                reader.problem(members["baseline_window"], "\(path).baseline_window", "only escalation_rate_jump compares with a baseline")
            }
            // Hysteresis: the clear limit must lie on the healthy side of the firing one.
            let healthySide = gate.direction == .below ? gate.clear > gate.threshold : gate.clear < gate.threshold
            if !healthySide {
                reader.problem(value, "\(path).clear", "must be \(gate.direction == .below ? "above" : "below") the threshold (\(gate.threshold)), or the alert would flap")
            }
            qualityGates[index] = gate
        }
    }

    private mutating func readRouting(_ node: Node?, _ reader: ConfigReader) {
        let routing = reader.mapping(node, "routing", allowed: ["default_queue", "routes"])
        reader.string(routing["default_queue"], "routing.default_queue", into: &policy.routing.defaultQueue)
        guard let routesNode = routing["routes"] else { return }
        guard let sequence = routesNode.sequence else { return reader.problem(routesNode, "routing.routes", "must be a list of {category, language, queue}") }
        var routes: [EscalationPolicy.Routing.Route] = []
        for (index, element) in sequence.enumerated() {
            let path = "routing.routes[\(index)]"
            let members = reader.mapping(element, path, allowed: ["category", "language", "queue"])
            var queue = ""
            reader.string(members["queue"], "\(path).queue", into: &queue)
            if members["queue"] == nil { reader.problem(element, path, "needs a 'queue'") }
            var category: Category?
            if let node = members["category"] {
                if let name = node.string, let parsed = Category(rawValue: name) { category = parsed }
                else { reader.problem(node, "\(path).category", "must be one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))") }
            }
            var language: String?
            if let node = members["language"] {
                if let code = node.string, code.count == 2, code == code.lowercased() { language = code }
                else { reader.problem(node, "\(path).language", "must be an ISO 639-1 code such as en or de") }
            }
            routes.append(.init(category: category, language: language, queue: queue))
        }
        policy.routing.routes = routes
    }

    private mutating func readPriority(_ node: Node?, _ reader: ConfigReader) {
        let priority = reader.mapping(node, "priority", allowed: ["categories", "frustration_raise", "tier_raise"])
        for (name, value) in reader.mapping(priority["categories"], "priority.categories", allowed: Category.allCases.map(\.rawValue)) {
            var level = 3
            reader.int(value, "priority.categories.\(name)", into: &level, range: 1...4)
            if let category = Category(rawValue: name) { policy.priority.byCategory[category] = level }
        }
        reader.int(priority["frustration_raise"], "priority.frustration_raise", into: &policy.priority.frustrationRaise, range: 0...3)
        if let tiers = priority["tier_raise"] {
            var raises: [String: Int] = [:]
            for (tier, value) in reader.mapping(tiers, "priority.tier_raise", allowed: EventDecoder.tiers.sorted()) {
                var raise = 0
                reader.int(value, "priority.tier_raise.\(tier)", into: &raise, range: 0...3)
                raises[tier] = raise
            }
            policy.priority.tierRaise = raises
        }
    }

    private func categoryList(_ node: Node, _ path: String, _ reader: ConfigReader) -> [Category]? {
        guard let sequence = node.sequence else {
            reader.problem(node, path, "must be a list of categories")
            return nil
        }
        var categories: [Category] = []
        for element in sequence {
            if let name = element.string, let category = Category(rawValue: name) { categories.append(category) }
            else { reader.problem(element, path, "unknown category '\(element.string ?? "?")'; use \(Category.allCases.map(\.rawValue).joined(separator: ", "))") }
        }
        return categories
    }
}
