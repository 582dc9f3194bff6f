/// Customer-facing sentences, in the conversation's language where we have one, else English.
public enum Announcements {
    public static let languages: Set<String> = ["en", "de", "fr", "es", "it", "nl", "pt", "cs"]

    public static func language(_ language: String) -> String {
        languages.contains(language) ? language : "en"
    }

    /// "Someone is taking over" with, when there is an estimate, when: "… in about 4 minutes", or that
    /// nobody is available right now. `update`: only the new wait.
    public static func handoff(_ language: String, wait: WaitEstimate?, update: Bool = false) -> String {
        let lead = update ? "" : handoff(language)
        guard let wait else { return lead }
        let sentence: String
        if let minutes = wait.minutes {
            sentence = self.wait(language, minutes: minutes)
        } else if wait.method == .noAgents || wait.method == .closed {
            sentence = unavailable(language)
        } else {
            return lead
        }
        return lead.isEmpty ? sentence : lead + " " + sentence
    }

    /// "A colleague will be with you in about N minutes."
    static func wait(_ language: String, minutes: Int) -> String {
        let one = minutes == 1
        switch self.language(language) {
        case "de": return one ? "Jemand ist in etwa einer Minute für Sie da." : "Jemand ist in etwa \(minutes) Minuten für Sie da."
        case "fr": return one ? "Quelqu'un sera avec vous dans environ une minute." : "Quelqu'un sera avec vous dans environ \(minutes) minutes."
        case "es": return one ? "Alguien le atenderá en aproximadamente un minuto." : "Alguien le atenderá en aproximadamente \(minutes) minutos."
        case "it": return one ? "Qualcuno sarà da lei tra circa un minuto." : "Qualcuno sarà da lei tra circa \(minutes) minuti."
        case "nl": return one ? "Over ongeveer een minuut helpt iemand u verder." : "Over ongeveer \(minutes) minuten helpt iemand u verder."
        case "pt": return one ? "Alguém estará consigo dentro de cerca de um minuto." : "Alguém estará consigo dentro de cerca de \(minutes) minutos."
        case "cs": return one ? "Někdo se vám bude věnovat asi za minutu." : "Někdo se vám bude věnovat asi za \(minutes) min."
        default: return one ? "A colleague will be with you in about a minute." : "A colleague will be with you in about \(minutes) minutes."
        }
    }

    /// Nobody is logged in for the queue.
    static func unavailable(_ language: String) -> String {
        switch self.language(language) {
        case "de": return "Gerade ist leider niemand aus dem Team erreichbar; wir können Sie zurückrufen."
        case "fr": return "Personne de l'équipe n'est disponible pour le moment ; nous pouvons vous rappeler."
        case "es": return "Ahora mismo no hay nadie del equipo disponible; podemos llamarle."
        case "it": return "Al momento nessuno del team è disponibile; possiamo richiamarla."
        case "nl": return "Er is op dit moment niemand van het team beschikbaar; we kunnen u terugbellen."
        case "pt": return "Neste momento ninguém da equipa está disponível; podemos ligar-lhe."
        case "cs": return "Momentálně není nikdo z týmu k dispozici; můžeme vám zavolat zpět."
        default: return "Nobody from the team is available right now; we can call you back."
        }
    }

    /// "Someone is taking over, you need not repeat anything."
    public static func handoff(_ language: String) -> String {
        switch self.language(language) {
        case "de": "Ich übergebe jetzt an eine Kollegin oder einen Kollegen aus unserem Team. Sie müssen nichts wiederholen – unser Gespräch liegt ihr oder ihm vor."
        case "fr": "Je transmets maintenant votre demande à un membre de notre équipe. Vous n'aurez rien à répéter : notre conversation lui est transmise."
        case "es": "Ahora le paso con una persona de nuestro equipo. No tendrá que repetir nada: verá toda nuestra conversación."
        case "it": "Ora la metto in contatto con una persona del nostro team. Non dovrà ripetere nulla: vedrà tutta la nostra conversazione."
        case "nl": "Ik draag het gesprek nu over aan een collega van ons team. U hoeft niets te herhalen: uw collega ziet ons hele gesprek."
        case "pt": "Vou agora passar para uma pessoa da nossa equipa. Não precisa de repetir nada: ela vê toda a nossa conversa."
        case "cs": "Nyní vás předávám kolegovi z našeho týmu. Nemusíte nic opakovat – uvidí celý náš rozhovor."
        default: "I'm handing you over to a colleague from our team now. You won't need to repeat anything – they can see our whole conversation."
        }
    }

    /// The proactive offer after the second unsuccessful answer.
    public static func offer(_ language: String) -> String {
        switch self.language(language) {
        case "de": "Ich konnte Ihnen bisher nicht richtig helfen. Möchten Sie mit einer Kollegin oder einem Kollegen sprechen, oder sollen wir Sie zurückrufen?"
        case "fr": "Je n'ai pas encore pu vous aider correctement. Souhaitez-vous parler à un membre de notre équipe, ou préférez-vous être rappelé ?"
        case "es": "Todavía no he podido ayudarle bien. ¿Quiere hablar con una persona de nuestro equipo o prefiere que le llamemos?"
        case "it": "Finora non sono riuscito ad aiutarla davvero. Vuole parlare con una persona del nostro team o preferisce essere richiamato?"
        case "nl": "Ik heb u nog niet goed kunnen helpen. Wilt u met een collega spreken, of zullen we u terugbellen?"
        case "pt": "Ainda não consegui ajudar bem. Quer falar com uma pessoa da nossa equipa ou prefere que lhe liguemos?"
        case "cs": "Zatím se mi nepodařilo vám pořádně pomoci. Chcete mluvit s kolegou z našeho týmu, nebo vám máme zavolat zpět?"
        default: "I haven't been able to solve this for you yet. Would you like to talk to a colleague from our team, or shall we call you back?"
        }
    }

    /// "We will call you on 2026-11-27 between 14:00 and 14:30 (Europe/Berlin)."
    public static func callbackConfirmed(_ language: String, date: String, from: String, to: String, zone: String, retry: Bool) -> String {
        switch self.language(language) {
        case "de": return (retry ? "Wir haben Sie nicht erreicht und versuchen es noch einmal: " : "Wir rufen Sie an: ") + "am \(date) zwischen \(from) und \(to) Uhr (\(zone))."
        case "fr": return (retry ? "Nous n'avons pas pu vous joindre ; nous réessaierons " : "Nous vous appellerons ") + "le \(date) entre \(from) et \(to) (\(zone))."
        case "es": return (retry ? "No pudimos localizarle; volveremos a llamar " : "Le llamaremos ") + "el \(date) entre las \(from) y las \(to) (\(zone))."
        case "it": return (retry ? "Non siamo riusciti a raggiungerla; riproveremo " : "La chiameremo ") + "il \(date) tra le \(from) e le \(to) (\(zone))."
        case "nl": return (retry ? "We konden u niet bereiken; we proberen het opnieuw " : "We bellen u ") + "op \(date) tussen \(from) en \(to) (\(zone))."
        case "pt": return (retry ? "Não conseguimos falar consigo; voltaremos a ligar " : "Vamos ligar-lhe ") + "a \(date) entre as \(from) e as \(to) (\(zone))."
        case "cs": return (retry ? "Nezastihli jsme vás; zkusíme to znovu " : "Zavoláme vám ") + "\(date) mezi \(from) a \(to) (\(zone))."
        default: return (retry ? "We couldn't reach you; we'll try again " : "We'll call you ") + "on \(date) between \(from) and \(to) (\(zone))."
        }
    }

    /// Why no callback can be booked.
    public static func callbackUnavailable(_ language: String, reason: String, days: Int) -> String {
        let german = language == "de"
        switch reason {
        case "windows_past":
            return german ? "Die gewählten Zeiten liegen in der Vergangenheit; bitte wählen Sie neue." : "The times you chose have passed; please pick new ones."
        case "too_many":
            return german ? "Für dieses Gespräch sind schon Rückrufe geplant." : "Callbacks are already planned for this conversation."
        case "outside_calling_hours":
            return german ? "Unsere Servicezeiten treffen sich in den nächsten \(days) Tagen nicht mit Ihrer Tageszeit. Nennen Sie uns Zeiten, die Ihnen passen, dann rufen wir Sie an."
                : "Our team's hours do not meet your daytime in the next \(days) days. Tell us times that suit you and we will call you then."
        case "unknown_queue":
            return german ? "Dieser Rückruf ließ sich nicht buchen. Schreiben Sie uns bitte hier im Chat, ein Kollege hilft Ihnen weiter."
                : "This callback could not be booked. Please write to us here in the chat and a colleague will help you."
        default:
            return german ? "In den nächsten \(days) Tagen ist leider kein Rückruf mehr frei; ein Kollege meldet sich hier im Chat."
                : "There is no callback slot free in the next \(days) days; a colleague will get back to you here in the chat."
        }
    }
}
