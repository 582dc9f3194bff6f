/// The vocabularies behind ``TopicClassifier``. Patterns are folded (no diacritics); `*` is a prefix.
enum TopicLexicon {
    static let lexicon = Lexicon<Category>([
        // MARK: - Legal
        (.legal, 3, [
            "lawyer*", "attorney*", "solicitor*", "sue", "suing", "sued", "legal action", "legal steps", "court", "small claims",
            "chargeback*", "charge back", "gdpr", "data protection", "subject access", "right to be forgotten", "right to erasure",
            "consumer protection", "ombudsman", "trading standards", "fraud*", "scam*", "police",
            "anwalt*", "rechtsanwalt*", "anwaltlich*", "klage*", "verklag*", "gericht*", "dsgvo", "datenschutz*", "rechtliche schritte",
            "verbraucherzentrale", "verbraucherschutz", "betrug*", "strafanzeige", "ruckbuchung*", "auskunftsersuchen",
            "avocat*", "poursuite*", "tribunal*", "rgpd", "protection des donnees", "mise en demeure", "action en justice", "justice",
            "dgccrf", "plainte penale", "escroquer*", "arnaque*",
            "abogad*", "demanda*", "denuncia*", "proteccion de datos", "juzgado", "consumo", "omic", "estafa*", "contracargo",
            "avvocat*", "tribunale", "azioni legali", "azione legale", "truffa*", "diffida", "garante privacy", "codacons",
            "advocaat*", "rechtszaak*", "juridische", "aangifte", "avg", "oplichting", "terugboeking",
            "advogad*", "processo", "processar", "procon", "lgpd", "justica", "golpe",
            "pravnik*", "advokat*", "zalob*", "soud*", "coi", "ochrana osobnich", "osobnich udaj*", "podvod*", "policie",
            "legal department", "data breach", "breach", "formal notice", "without consent", "without my consent", "disput*", "phishing",
            "never authorised", "never authorized", "consumatori", "consommateurs", "consumidores", "terugboek*", "associazione consumatori",
        ]),
        // MARK: - Refund and compensation
        (.refund, 3, [
            "refund*", "reimburs*", "money back", "my money", "compensat*", "credit back", "cash back", "full amount back",
            "geld zuruck", "geld zurueck", "mein geld", "ruckerstatt*", "erstatt*", "entschadig*", "ruckzahlung*", "gutschrift*",
            "rembours*", "mon argent", "indemni*", "dedommag*", "geste commercial", "avoir",
            "reembols*", "devolucion del dinero", "devuelvan", "devolverme", "mi dinero", "compensacion*", "indemniza*",
            "rimbors*", "risarci*", "soldi indietro", "i miei soldi", "indennizz*",
            "terugbetal*", "geld terug", "mijn geld", "restitutie", "compensatie", "schadevergoeding",
            "dinheiro de volta", "meu dinheiro", "devolucao do dinheiro", "ressarci*", "indeniza*",
            "vraceni penez", "vratit penize", "vratte penize", "penize vrat*", "vratite penize", "devuelto el dinero", "estorno", "vraceni castky", "moje penize", "kompenzac*", "odskodn*", "refundac*",
        ]),
        (.refund, 1, ["return", "devolver", "devolucion", "retour", "rucksendung", "reso", "retourneren", "devolucao", "vraceni", "voucher", "gutschein", "bon d achat"]),
        // MARK: - Warranty
        (.warranty, 3, [
            "warrant*", "guarantee*", "guaranty", "garantie*", "gewahrleistung*", "gewaehrleistung*", "garantia*", "garanzia*", "zaruk*", "zaruc*",
            "reklamac*",
        ]),
        (.warranty, 1, [
            "defect*", "faulty", "broken", "broke", "stopped working", "doesnt turn on", "wont turn on", "dead pixel*", "repair*",
            "replacement", "defekt*", "kaputt", "reparatur*", "ersatzgerat", "geht nicht mehr an", "panne", "en panne", "defectueu*",
            "reparation", "remplacement", "defectuos*", "averiad*", "roto", "rota", "reparacion", "difettos*", "rotto", "rotta",
            "guasto", "riparazione", "sostituzione", "kapot", "reparatie", "vervanging", "defeito", "defeituos*", "quebrad*",
            "conserto", "reparo", "troca", "covered", "se ha roto", "partido", "vadn*", "rozbit*", "oprava", "nefunkcni", "prestal fungovat", "prestala fungovat",
        ]),
        // MARK: - Complaint
        (.complaint, 3, [
            "your supervisor", "a supervisor", "your manager", "ihrem vorgesetzten", "votre responsable", "un supervisor", "un responsabile",
            "een leidinggevende", "s vedoucim", "o gerente", "um supervisor", "escalate this", "be escalated",
            "complain*", "formal complaint", "grievance", "beschwer*", "plainte", "reclamation", "je me plains", "queja*", "quejarme",
            "reclamacion*", "reclamo", "reclami", "reclamar", "lamentel*", "klacht*", "reclamatie", "reclamacao", "reclamacoes",
            "stiznost*", "stezovat",
        ]),
        (.complaint, 1, [
            "rude", "impolite", "disrespect*", "unprofessional", "unfriendly", "terrible service", "bad service", "poor service",
            "worst service", "unfreundlich", "respektlos", "unverschamt", "impoli*", "irrespectueu*", "grosero", "grosera", "maleducat*",
            "scortes*", "onbeleefd", "onvriendelijk", "mal educad*", "grosseir*", "nezdvoril*", "drzy", "hrozny servis",
        ]),
        (.complaint, 2, [
            "unacceptable", "not acceptable", "inadmissible", "disgusted", "disgrace*", "verguenza", "vergognos*", "onacceptabel",
            "neslychan*", "hung up", "raccroch*", "chiuso la chat", "zavesil", "colgo", "insult*", "swore", "condescending", "onbeschoft",
            "neprijemn*", "furious", "signaler", "signale", "segnalar*", "nahlasit", "report this", "feedback about", "exijo", "katastrophe",
            "treated", "kundenservice", "customer service", "servizio clienti", "service client",
        ]),
        // MARK: - Billing
        (.billing, 2, [
            "invoice*", "billing", "bill", "billed", "charged", "double charge*", "charged twice", "twice", "payment*", "vat", "receipt",
            "subscription*", "direct debit", "overcharg*", "credit card", "debit card", "card was",
            "rechnung*", "abbuchung*", "abgebucht", "lastschrift*", "zahlung*", "bezahl*", "abo", "abonnement", "mwst",
            "quittung", "doppelt", "facture*", "factur*", "paiement*", "prelev*", "tva", "debite*", "carte bancaire",
            "factura*", "cobro*", "cobrado*", "cargo", "pago*", "suscripcion", "iva", "recibo", "tarjeta",
            "fattura*", "addebit*", "pagament*", "abbonament*", "ricevuta", "carta di credito",
            "factuur", "facturen", "betaling*", "afschrijving*", "afgeschreven", "btw", "incasso",
            "fatura*", "cobranca*", "cobrad*", "assinatura", "cartao",
            "faktur*", "platb*", "predplatn*", "dph", "strzen*", "zaplat*",
        ]),
        (.billing, 1, ["declined", "tax", "trial", "ideal", "betalen", "creditcard", "price", "paid", "pay", "charge", "amount", "bezahlt", "preis", "prix", "paye", "precio", "pagado", "prezzo", "pagato", "prijs", "betaald", "preco", "pago", "cena", "zaplatil*"]),
        // MARK: - Technical
        (.technical, 2, [
            "api", "sso", "saml", "oauth", "webhook*", "integration*", "integrat*", "configur*", "deploy*", "sdk", "endpoint*",
            "azure", "okta", "ldap", "dns", "ssl", "certificate*", "timeout*", "error code", "stack trace", "crash*", "bug", "bugs",
            "install*", "setup", "set up", "plugin*", "firmware", "update", "sync*", "http", "500", "403", "401", "404", "json", "csv",
            "import", "export",
            "fehlermeldung*", "absturz*", "sturzt", "einricht*", "schnittstelle*", "konfigur*", "installier*",
            "erreur*", "plantage", "plante", "bogue", "parametr*", "installation",
            "fallo*", "configuracion", "instalar", "se cuelga", "se cierra",
            "errore*", "configurazione", "impostazion*", "si blocca", "installare",
            "foutmelding*", "foutcode", "instelling*", "koppeling*", "crasht", "installeren",
            "falha*", "configuracao", "instalacao", "trava",
            "chyb*", "nastaveni", "pada", "spadne", "instalac*", "aplikace",
            "helm", "cluster", "docker", "rate limit", "429", "freez*", "integraz*", "nasazeni", "engineer", "technician", "techniker", "technicien", "tecnico", "technik*",
        ]),
        (.technical, 1, ["error", "app", "website", "browser", "fehler", "erro", "fout", "integr*"]),
        // MARK: - Order status
        (.orderStatus, 2, [
            "where is my", "delivery", "deliver*", "shipping", "shipped", "shipment", "tracking", "track", "package", "parcel",
            "courier", "not arrived", "hasnt arrived", "hasn t arrived", "never arrived", "still waiting", "dispatch*", "dhl", "ups",
            "fedex", "postnl", "gls", "dpd",
            "lieferung*", "geliefert", "paket*", "sendung*", "versand*", "versendet", "zustell*", "nicht angekommen", "sendungsverfolgung",
            "livraison", "livre", "colis", "suivi", "expedi*", "pas recu", "transporteur",
            "envio", "enviado", "entrega*", "paquete", "seguimiento", "no ha llegado", "no me ha llegado", "repartidor",
            "consegna", "consegnat*", "spedizion*", "spedit*", "pacco", "tracciamento", "non e arrivato", "corriere",
            "levering", "geleverd", "pakket*", "bezorg*", "verzend*", "verzonden", "track en trace", "niet aangekomen",
            "entregue", "pacote", "rastreio", "rastreamento", "nao chegou", "transportadora",
            "doruc*", "balik*", "zasilk*", "sledovani", "neprisl*", "dopravce",
        ]),
        (.orderStatus, 1, ["ship", "items", "update on", "express", "order", "ordered", "bestellung", "bestellt", "commande", "pedido", "ordine", "bestelling", "besteld", "encomenda", "objednav*", "objednal*", "late", "delayed", "verspat*", "retard", "retraso", "ritardo", "vertraging", "atraso", "zpozd*"]),
        // MARK: - Account
        (.account, 2, [
            "account", "login", "log in", "logged out", "sign in", "password*", "reset my", "2fa", "two factor", "two-factor", "locked out",
            "locked", "username", "email address", "verification code", "delete my account", "close my account",
            "konto", "passwort*", "anmeld*", "einlogg*", "gesperrt", "kennwort", "benutzername",
            "compte", "mot de passe", "connexion", "connecter", "bloque", "identifiant",
            "cuenta", "contrasena", "iniciar sesion", "bloquead*", "usuario",
            "password", "accesso", "accedere", "bloccat*", "credenziali",
            "wachtwoord", "inloggen", "geblokkeerd", "gebruikersnaam",
            "conta", "senha", "entrar na", "login",
            "ucet", "uctu", "heslo", "hesla", "prihlas*", "zablokovan*",
            "mail adresse", "e mailadres", "emailadres", "mailadres*", "kundenkonto", "verification", "verificacion", "codice", "due fattori",
            "magic link", "captcha*", "log into", "merge", "portal",
        ]),
    ])
}
