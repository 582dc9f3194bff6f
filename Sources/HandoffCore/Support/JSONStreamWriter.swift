/// Writes JSON straight into bytes, member by member, for hot paths whose shape is fixed: no
/// ``JSONValue`` tree is built. Values are written exactly as ``JSONWriter`` writes them.
///
/// - Important: to give the same bytes as ``JSONWriter``, give each object's members in sorted key order.
struct JSONStreamWriter {
    private(set) var bytes: [UInt8] = []
    /// Whether the next value or key follows a sibling (and needs a comma first).
    private var followsSibling = false

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    mutating func beginObject() { open(UInt8(ascii: "{")) }
    mutating func endObject() { close(UInt8(ascii: "}")) }
    mutating func beginArray() { open(UInt8(ascii: "[")) }
    mutating func endArray() { close(UInt8(ascii: "]")) }

    /// A member name written in the source: copied as it is (such names need no escaping).
    mutating func key(_ name: StaticString) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
        followsSibling = false
    }

    /// A member name made at run time, escaped where it needs to be.
    mutating func key(text name: String) {
        separate()
        JSONWriter.writeString(name, into: &bytes)
        bytes.append(UInt8(ascii: ":"))
        followsSibling = false
    }

    mutating func string(_ text: String) { value { JSONWriter.writeString(text, into: &$0) } }
    mutating func number(_ number: Double) { value { JSONWriter.writeNumber(number, into: &$0) } }
    mutating func integer(_ number: Int64) { value { JSONWriter.writeInteger(number, into: &$0) } }
    mutating func bool(_ flag: Bool) { value { $0.append(contentsOf: (flag ? "true" : "false").utf8) } }
    mutating func null() { value { $0.append(contentsOf: "null".utf8) } }
    mutating func string(_ text: String?) { if let text { string(text) } else { null() } }
    /// A subtree built as a ``JSONValue`` (for the parts that are not hot).
    mutating func value(_ tree: JSONValue) { value { JSONWriter.write(tree, into: &$0) } }

    private mutating func value(_ write: (inout [UInt8]) -> Void) {
        separate()
        write(&bytes)
        followsSibling = true
    }

    private mutating func open(_ bracket: UInt8) {
        separate()
        bytes.append(bracket)
        followsSibling = false
    }

    private mutating func close(_ bracket: UInt8) {
        bytes.append(bracket)
        followsSibling = true
    }

    private mutating func separate() {
        if followsSibling { bytes.append(UInt8(ascii: ",")) }
    }
}
