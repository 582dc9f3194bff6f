/// A data-protection request (`support.customer.erase`): forget every conversation of one customer,
/// tombstone their stored state and cancel their pending callbacks.
///
/// The request lands on one partition of the conversations topic (keyed by the customer id), but the
/// customer's conversations may live on any partition: the instance that reads the request sends a copy
/// to every other partition, and each partition's owner erases what it holds.
public struct CustomerErase: Sendable, Equatable {
    /// The CloudEvents `id` of the request; its copies carry it as `erase_id`.
    public var id: String
    public var customerID: String
    public var time: Timestamp
    /// The partition a copy was sent to; nil on the request itself (which must still be spread).
    public var partition: Int?

    public init(id: String, customerID: String, time: Timestamp, partition: Int? = nil) {
        self.id = id
        self.customerID = customerID
        self.time = time
        self.partition = partition
    }

    /// The copy for one partition, as a CloudEvent envelope (produced to that partition explicitly).
    public func copy(forPartition partition: Int, source: String) -> JSONValue {
        .object([
            "specversion": .string("1.0"),
            "id": .string("\(id)/p\(partition)"),
            "source": .string(source),
            "type": .string(EventType.customerErase),
            "time": .string(time.rfc3339),
            "datacontenttype": .string("application/json"),
            "data": .object([
                "customer_id": .string(customerID),
                "erase_id": .string(id),
                "partition": .number(Double(partition)),
            ]),
        ])
    }
}
