import Testing
@testable import HandoffCore

@Suite("Redaction of personal data before an LLM sees text")
struct RedactorTests {
    let redactor = Redactor(customLiterals: ["ACME-INTERNAL-7"])

    @Test("e-mail, phone, card, IBAN and configured secrets are replaced; nothing of them stays",
          arguments: [
            ("write to anna.novak+support@example.co.uk please", "anna.novak+support@example.co.uk", "[EMAIL_1]"),
            ("call me on +420 601 234 567 after 5", "+420 601 234 567", "[PHONE_1]"),
            ("meine Nummer ist 0176 1234 5678", "0176 1234 5678", "[PHONE_1]"),
            ("card 4111 1111 1111 1111 was charged twice", "4111 1111 1111 1111", "[CARD_1]"),
            ("card 4111-1111-1111-1111", "4111-1111-1111-1111", "[CARD_1]"),
            ("IBAN DE89 3704 0044 0532 0130 00 bitte", "DE89 3704 0044 0532 0130 00", "[IBAN_1]"),
            ("mon IBAN: FR1420041010050500013M02606", "FR1420041010050500013M02606", "[IBAN_1]"),
            ("code ACME-INTERNAL-7 in the ticket", "ACME-INTERNAL-7", "[SECRET_1]"),
          ])
    func redacts(text: String, secret: String, placeholder: String) {
        let redaction = redactor.redact(text)
        #expect(!redaction.text.contains(secret), "\(redaction.text)")
        #expect(redaction.text.contains(placeholder), "\(redaction.text)")
        #expect(redaction.values[placeholder] == secret)
        #expect(redaction.restore(redaction.text) == text)
    }

    @Test("order numbers, amounts, dates and numbers failing the checksums stay readable",
          arguments: ["order A-10023 for €129.99 on 2026-11-20", "invoice 2025000342", "card 4111 1111 1111 1112 (typo)",
                      "error ERR_SIG_401", "version 2.16.0", "3 items, 2 boxes"])
    func keeps(text: String) {
        #expect(redactor.redact(text).text == text)
    }

    @Test("a mistyped IBAN is hidden from the model too (the agent gets it back)")
    func mistypedIBAN() {
        let text = "IBAN DE89 3704 0044 0532 0130 01 bitte"
        let redaction = redactor.redact(text)
        #expect(redaction.text == "IBAN [IBAN_1] bitte")
        #expect(redaction.restore(redaction.text) == text)
    }

    @Test("the same value gets the same placeholder; different values different ones; restore is exact")
    func stablePlaceholders() {
        let text = "from a@b.cz to c@d.cz, cc a@b.cz"
        let redaction = redactor.redact(text)
        #expect(redaction.text == "from [EMAIL_1] to [EMAIL_2], cc [EMAIL_1]")
        #expect(redaction.restore("Contact [EMAIL_1] and [EMAIL_2].") == "Contact a@b.cz and c@d.cz.")
    }

    @Test("a whole transcript line with several kinds keeps none of them")
    func mixed() {
        let text = "Hi, I'm jan@firma.cz, +49 170 1234567, paid with 5555 5555 5555 4444 from CZ65 0800 0000 1920 0014 5399 — order 55-88310"
        let redaction = redactor.redact(text)
        for secret in ["jan@firma.cz", "+49 170 1234567", "5555 5555 5555 4444", "CZ65 0800 0000 1920 0014 5399"] {
            #expect(!redaction.text.contains(secret), "\(redaction.text)")
        }
        #expect(redaction.text.contains("order 55-88310"))
        #expect(redaction.restore(redaction.text) == text)
    }

    @Test("checksums", arguments: [("4111111111111111", true), ("4111111111111112", false), ("5555555555554444", true)])
    func luhn(digits: String, valid: Bool) {
        #expect(Redactor.luhn(digits) == valid)
    }
}
