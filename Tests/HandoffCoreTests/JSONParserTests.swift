import HandoffCore
import Testing

@Suite("JSONParser and JSONWriter")
struct JSONParserTests {
    // MARK: - Valid documents

    @Test(
        "parses every kind of JSON value",
        arguments: [
            ("null", JSONValue.null),
            ("true", .bool(true)),
            ("false", .bool(false)),
            ("0", .number(0)),
            ("-0", .number(0)),
            ("42", .number(42)),
            ("-17", .number(-17)),
            ("3.25", .number(3.25)),
            ("1e3", .number(1000)),
            ("1E+2", .number(100)),
            ("-1.5E-2", .number(-0.015)),
            ("0.5e-3", .number(0.0005)),
            ("123.456e1", .number(1234.56)),
            ("\"\"", .string("")),
            ("\"plain text\"", .string("plain text")),
            ("{}", .object([:])),
            ("[]", .array([])),
            ("{ }", .object([:])),
            ("[ ]", .array([])),
            (" \t\r\n[1 , 2]\n ", .array([.number(1), .number(2)])),
        ] as [(String, JSONValue)]
    )
    func parsesValue(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test("parses a nested document into the same structure")
    func parsesNestedDocument() throws {
        let text = """
            {"specversion":"1.0","data":{"sources":["kb-1","kb-2"],"confidence":0.87,"empty":{},"none":[],
             "nested":[[1,[2,{"deep":null}]],{"flag":false}]}}
            """
        let expected = JSONValue.object([
            "specversion": .string("1.0"),
            "data": .object([
                "sources": .array([.string("kb-1"), .string("kb-2")]),
                "confidence": .number(0.87),
                "empty": .object([:]),
                "none": .array([]),
                "nested": .array([
                    .array([.number(1), .array([.number(2), .object(["deep": .null])])]),
                    .object(["flag": .bool(false)]),
                ]),
            ]),
        ])
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(
        "decodes escapes and unicode escapes, including surrogate pairs",
        arguments: [
            (#""\"\\\/\b\f\n\r\t""#, "\"\\/\u{8}\u{C}\n\r\t"),
            (#""caf\u00e9""#, "café"),
            (#""caf\u00E9""#, "café"),
            (#""\u20AC 129,99""#, "€ 129,99"),
            (#""\uD83D\uDE00""#, "😀"),
            (#""a\ud83d\ude00b""#, "a😀b"),
            (#""\u0000""#, "\u{0}"),
            ("\"Rückerstattung — 😀\"", "Rückerstattung — 😀"),
            (#""mixed é \u00e9 \n end""#, "mixed é é \n end"),
        ]
    )
    func decodesEscapes(text: String, expected: String) throws {
        #expect(try JSONParser.parse(text) == .string(expected))
    }

    @Test("accepts nesting up to maxDepth")
    func acceptsMaxDepth() throws {
        let text = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        var expected = JSONValue.array([])
        for _ in 1..<64 { expected = .array([expected]) }
        #expect(try JSONParser.parse(text) == expected)
        #expect(try JSONParser.parse(Array("[[{\"a\":1}]]".utf8), maxDepth: 3) == .array([.array([.object(["a": .number(1)])])]))
    }

    @Test("a later duplicate member replaces an earlier one")
    func duplicateMembers() throws {
        #expect(try JSONParser.parse(#"{"a":1,"a":2}"#) == .object(["a": .number(2)]))
    }

    // MARK: - Documents read as members (the event decoder's reading)

    @Test("a document as members: in order, the last of a duplicate counting, the nested object as members")
    func documentMembers() throws {
        guard case .object(let members, let nested) = try JSONParser.parseDocument(Array(#"{"a":1,"data":{"x":1,"x":[2]},"b":"c","a":3}"#.utf8), nested: "data") else {
            Issue.record("an object is read as members")
            return
        }
        #expect(members.pairs.map(\.name) == ["a", "data", "b", "a"])
        #expect(members["a"] == .number(3) && members["b"] == .string("c") && members["missing"] == nil)
        #expect(members["data"] == .object([:]), "stands for the nested members")
        #expect(nested?["x"] == .array([.number(2)]))
        // A later `data` that is no object replaces the nested members, and the other way round.
        guard case .object(let replaced, let gone) = try JSONParser.parseDocument(Array(#"{"data":{"x":1},"data":"s"}"#.utf8), nested: "data"),
              case .object(_, let back) = try JSONParser.parseDocument(Array(#"{"data":"s","data":{"y":2}}"#.utf8), nested: "data") else {
            Issue.record("objects are read as members")
            return
        }
        #expect(replaced["data"] == .string("s") && gone == nil)
        #expect(back?["y"] == .number(2))
        guard case .value(let array) = try JSONParser.parseDocument(Array("[1]".utf8), nested: "data") else {
            Issue.record("an array is read as a value")
            return
        }
        #expect(array == .array([.number(1)]))
    }

    @Test("a document read as members fails where and as the parse into a value fails, also in members it skips",
          arguments: [#"{"a":1"#, #"{"a" 1}"#, #"{"data":{"x":}}"#, #"{"data":{"x":1}"#, #"{"a":1} x"#, #"{1:2}"#, #"{"a":"\x"}"#, "", "[1,]",
                      #"{"data":{"x":"\x"}}"#, #"{"data":{"x":[1,]}}"#, #"{"data":{"x":"open}}"#, #"{"data":{"x":"\u00"}}"#, "{\"data\":{\"x\":\"a\u{1}\"}}",
                      #"{"data":{"x":{"y" 1}}}"#, #"{"data":{"x":{"y":1,}}}"#, #"{"data":{"x":tru}}"#, #"{"data":{"x":01}}"#, #"{"data":{"x":"\ud800"}}"#,
                      #"{"data":{"x":[[[[[[1]]]]]]}}"#, #"{"data":{"x":1 "y":2}}"#])
    func documentFailures(text: String) {
        let bytes = Array(text.utf8)
        let parsed = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes, maxDepth: 6) }
        let read = #expect(throws: JSONParser.Failure.self) { try JSONParser.parseDocument(bytes, nested: "data", maxDepth: 6) }
        let skipped = #expect(throws: JSONParser.Failure.self) { try JSONParser.parseDocument(bytes, nested: "data", keeping: ["y"], maxDepth: 6) }
        #expect(parsed == read)
        #expect(parsed == skipped)
    }

    @Test("a nested object read for a few members: those kept are read as the parse reads them, the others are not built")
    func documentKeeping() throws {
        let text = #"{"type":"t","data":{"big":{"a":[1,{"b":"c\"d"}],"e":null},"id":"h-1","text":"Grüße \u00e9 \"q\"","n":-1.5e3,"list":["x",true,false],"id":"h-2","k":{"z":[]}}}"#
        let bytes = Array(text.utf8)
        guard case .object(let envelope, let data?) = try JSONParser.parseDocument(bytes, nested: "data", keeping: ["id", "text", "k", "absent"]),
              case .object(let all)? = try JSONParser.parse(bytes)["data"] else {
            Issue.record("an object with an object `data` is read as members")
            return
        }
        #expect(envelope["type"] == .string("t"), "the envelope keeps every member")
        #expect(data.pairs.map(\.name) == ["id", "text", "id", "k"])
        #expect(data.object == .object(["id": all["id"]!, "text": all["text"]!, "k": all["k"]!]))
        #expect(data["id"] == .string("h-2") && data["big"] == nil && data["n"] == nil && data["list"] == nil)
        // Bytes that are no UTF-8, in a member skipped, fail as in the parse.
        let broken = Array(#"{"data":{"x":""#.utf8) + [0xC3, 0x28] + Array(#"","y":1}}"#.utf8)
        let parsed = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(broken) }
        let skipped = #expect(throws: JSONParser.Failure.self) { try JSONParser.parseDocument(broken, nested: "data", keeping: ["y"]) }
        #expect(parsed != nil && parsed == skipped)
    }

    @Test("strings of ASCII and of other UTF-8 are read alike")
    func utf8Strings() throws {
        #expect(try JSONParser.parse(#"["plain","Grüße aus Köln","日本","a\u00e9"]"#) == .array([.string("plain"), .string("Grüße aus Köln"), .string("日本"), .string("aé")]))
        #expect(String(utf8: Array("Grüße".utf8)[...]) == "Grüße")
        #expect(String(utf8: [0x61, 0xFF][...]) == nil)
    }

    // MARK: - Rejections

    @Test(
        "rejects malformed documents with the problem and byte offset",
        arguments: [
            ("", "unexpected end of input", 0),
            ("   ", "unexpected end of input", 3),
            ("[1] x", "unexpected data after the JSON value", 4),
            ("{} {}", "unexpected data after the JSON value", 3),
            ("01", "unexpected data after the JSON value", 1),
            ("-01", "unexpected data after the JSON value", 2),
            ("1.", "invalid number", 2),
            ("1.e5", "invalid number", 2),
            ("1e", "invalid number", 2),
            ("1e+", "invalid number", 3),
            ("-", "unexpected end of input in a number", 1),
            ("-a", "invalid number", 1),
            (".5", "unexpected character", 0),
            ("+1", "unexpected character", 0),
            ("NaN", "unexpected character", 0),
            ("Infinity", "unexpected character", 0),
            ("[1, NaN]", "unexpected character", 4),
            ("1e400", "number out of range", 0),
            ("[0, -1e999]", "number out of range", 4),
            ("tru", "unexpected end of input", 3),
            ("nul1", "invalid literal", 3),
            ("True", "unexpected character", 0),
            ("\"abc", "unterminated string", 4),
            ("\"abc\\\"", "unterminated string", 6),
            ("\"a\u{1}b\"", "control character in a string", 2),
            ("\"tab\there\"", "control character in a string", 4),
            ("\"x\\ny\u{1F}\"", "control character in a string", 5),
            (#""\x""#, "invalid escape in a string", 3),
            (#""\u12zz""#, "invalid hex digit in a unicode escape", 5),
            (#""\u12""#, "unexpected end of input in a unicode escape", 3),
            (#""\uD800""#, "unpaired surrogate in a string", 7),
            (#""\uD800x""#, "unpaired surrogate in a string", 7),
            (#""\uDC00""#, "unpaired surrogate in a string", 7),
            (#""\uD800\u0041""#, "invalid surrogate pair in a string", 13),
            ("[1,]", "unexpected character", 3),
            ("[1 2]", "expected ',' or ']'", 3),
            ("[1", "unexpected end of input in an array", 2),
            ("{\"a\":1,}", "expected a member name", 7),
            ("{a:1}", "expected a member name", 1),
            ("{\"a\" 1}", "expected ':'", 5),
            ("{\"a\":1 \"b\":2}", "expected ',' or '}'", 7),
            ("{\"a\":1", "unexpected end of input in an object", 6),
            ("'single'", "unexpected character", 0),
        ]
    )
    func rejects(text: String, problem: String, offset: Int) {
        let failure = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(text) }
        #expect(failure?.problem == problem)
        #expect(failure?.offset == offset)
        #expect(failure?.description == "\(problem) at byte \(offset)")
    }

    @Test("rejects nesting deeper than maxDepth at the opening bracket that is too deep")
    func rejectsTooDeep() {
        let arrays = String(repeating: "[", count: 65) + String(repeating: "]", count: 65)
        let failure = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(arrays) }
        #expect(failure?.problem == "nesting deeper than 64 levels")
        #expect(failure?.offset == 64)

        let objects = Array(#"{"a":{"b":{"c":1}}}"#.utf8)
        let shallow = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(objects, maxDepth: 2) }
        #expect(shallow?.problem == "nesting deeper than 2 levels")
        #expect(shallow?.offset == 10)
    }

    @Test(
        "rejects invalid UTF-8 inside strings, at the string's first byte",
        arguments: [
            [0x22, 0x61, 0xFF, 0x22] as [UInt8],  // 0xFF never occurs in UTF-8
            [0x22, 0x61, 0xC3, 0x22],  // truncated two-byte sequence
            [0x22, 0xC0, 0xAF, 0x22],  // overlong '/'
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // UTF-16 surrogate encoded as UTF-8
            [0x22, 0x5C, 0x6E, 0xFE, 0x22],  // after an escape (slow path)
        ]
    )
    func rejectsInvalidUTF8(bytes: [UInt8]) {
        let failure = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse(bytes) }
        #expect(failure?.problem == "invalid UTF-8 in a string")
        #expect(failure?.offset == 1)
    }

    @Test("rejects invalid UTF-8 and a byte-order mark outside strings")
    func rejectsBytesOutsideStrings() {
        let bom = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0xEF, 0xBB, 0xBF, 0x31]) }
        #expect(bom?.offset == 0)
        let stray = #expect(throws: JSONParser.Failure.self) { try JSONParser.parse([0x5B, 0x31, 0x2C, 0xFF, 0x5D]) }
        #expect(stray?.problem == "unexpected character")
        #expect(stray?.offset == 3)
    }

    // MARK: - JSONWriter

    @Test("writes object members in sorted key order, integers without a fraction")
    func writerSortsKeys() {
        let value = JSONValue.object([
            "zeta": .number(1),
            "alpha": .array([.number(-3), .number(0.5), .bool(true), .bool(false), .null]),
            "Mid": .object(["b": .string("x"), "a": .object([:])]),
            "empty": .array([]),
        ])
        #expect(JSONWriter.string(value) == #"{"Mid":{"a":{},"b":"x"},"alpha":[-3,0.5,true,false,null],"empty":[],"zeta":1}"#)
        #expect(JSONWriter.bytes(value) == Array(JSONWriter.string(value).utf8))
    }

    @Test("the same value gives the same bytes whatever order its members were inserted in")
    func writerIsDeterministic() {
        var forward: [String: JSONValue] = [:]
        var backward: [String: JSONValue] = [:]
        let keys = (0..<50).map { "key-\($0)" }
        for key in keys { forward[key] = .string(key) }
        for key in keys.reversed() { backward[key] = .string(key) }
        #expect(JSONWriter.bytes(.object(forward)) == JSONWriter.bytes(.object(backward)))
    }

    @Test("escapes quotes, backslashes and every control character")
    func writerEscapes() {
        let text = "q\" b\\ n\n r\r t\t nul\u{0} bell\u{7} bs\u{8} ff\u{C} us\u{1F} slash/ del\u{7F} é😀"
        #expect(
            JSONWriter.string(.string(text))
                == #""q\" b\\ n\n r\r t\t nul\u0000 bell\u0007 bs\u0008 ff\u000c us\u001f slash/ del"# + "\u{7F} é😀\""
        )
        #expect(JSONWriter.string(.object(["line\nbreak": .string("")])) == #"{"line\nbreak":""}"#)
    }

    @Test(
        "writes numbers so they read back as the same value",
        arguments: [
            (0.0, "0"), (-0.0, "0"), (1.0, "1"), (-42.0, "-42"), (0.5, "0.5"), (-0.015, "-0.015"),
            (129.99, "129.99"), (1e15, "1000000000000000"), (1e20, "1e+20"),
        ]
    )
    func writerNumbers(number: Double, expected: String) throws {
        let written = JSONWriter.string(.number(number))
        #expect(written == expected)
        #expect(try JSONParser.parse(written) == .number(number))
    }

    @Test("writes a value that is not finite as null rather than invalid JSON")
    func writerNonFinite() throws {
        #expect(JSONWriter.string(.array([.number(.infinity), .number(.nan)])) == "[null,null]")
    }

    @Test("JSONWriter output parses back to the same value")
    func roundTrip() throws {
        let value = JSONValue.object([
            "conversation_id": .string("conv-7f3a9c"),
            "text": .string("line 1\nline 2\t\"quoted\" \\ back\u{1} ctl — Rückerstattung 😀 \u{2028}"),
            "numbers": .array([.number(0), .number(-1), .number(3.141592653589793), .number(1e-7), .number(1.2345678901234568e17), .number(9007199254740991)]),
            "flags": .array([.bool(true), .bool(false), .null]),
            "nested": .object(["a": .object(["b": .array([.object([:]), .array([])])])]),
            "": .string("empty key"),
        ])
        let bytes = JSONWriter.bytes(value)
        let parsed = try JSONParser.parse(bytes)
        #expect(parsed == value)
        #expect(JSONWriter.bytes(parsed) == bytes)
    }

    @Test("a parsed document written out again is canonical: sorted and compact")
    func parseThenWrite() throws {
        let text = #"{ "b" : [ 1.0 , 2.50 , "\u00e9" ] , "a" : { "y" : null , "x" : true } }"#
        #expect(JSONWriter.string(try JSONParser.parse(text)) == #"{"a":{"x":true,"y":null},"b":[1,2.5,"é"]}"#)
    }
}
