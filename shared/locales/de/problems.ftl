problem-status-400 = Ungültige Anfrage
problem-status-401 = Nicht angemeldet
problem-status-403 = Nicht erlaubt
problem-status-404 = Nicht gefunden
problem-status-405 = Methode nicht erlaubt
problem-status-409 = Konflikt
problem-status-413 = Anfrage zu groß
problem-status-422 = Anfrage nicht angenommen
problem-status-429 = Zu viele Anfragen
problem-status-500 = Etwas ist schiefgelaufen
problem-status-503 = Vorübergehend nicht verfügbar
problem-bad-request = Die Anfrage konnte nicht gelesen werden: {$reason}
problem-validation-failed = Die Anfrage enthält ungültige Felder.
problem-payload-too-large = Der Inhalt der Anfrage ist größer als 64 KiB.
problem-unauthorized = Ein gültiges Zugriffstoken ist erforderlich.
problem-invalid-credentials = E-Mail-Adresse oder Passwort ist falsch.
problem-invalid-refresh-token = Das Aktualisierungstoken ist ungültig, abgelaufen oder schon verwendet.
problem-invalid-id-token = Das Identitätstoken konnte nicht geprüft werden.
problem-invalid-signature = Die Signatur des Webhooks passt nicht zu seinem Inhalt.
problem-forbidden = Das darfst du nicht.
problem-not-found = Das gibt es nicht.
problem-method-not-allowed = Dieser Pfad erlaubt nur {$allow}.
problem-too-many-requests = Zu viele Versuche; versuch es in {$seconds ->
    [one] {$seconds} Sekunde
   *[other] {$seconds} Sekunden
} noch einmal.
problem-service-unavailable = Ein benötigter Dienst ist gerade nicht erreichbar; versuch es gleich noch einmal.
problem-internal = Ein unerwarteter Fehler ist aufgetreten.
problem-account-day-held = { $whose ->
        [theirs] Ihr Konto
        [participant] Das Konto einer teilnehmenden Person
       *[yours] Dein Konto
    } hat einen Tag in Prüfung; Münzen können erst danach bewegt werden.
problem-account-exists = Für diese Anmeldung gibt es schon ein Konto.
problem-account-gone = { $whose ->
        [theirs] Ihr Konto
        [participant] Das Konto einer teilnehmenden Person
       *[yours] Dein Konto
    } gibt es nicht mehr.
problem-account-too-new = Münzen an andere gehen nur von Konten, die mindestens {$days} Tage alt sind und {$verified_days} bestätigte Schritttage haben.
problem-account-under-review = { $whose ->
        [theirs] Ihr Konto
        [participant] Das Konto einer teilnehmenden Person
       *[yours] Dein Konto
    } wird geprüft; Münzen können erst danach bewegt werden.
problem-admin-exists = Die ersten Admins gibt es schon; weitere Admins entstehen durch eine Änderungsanfrage, die ein zweiter Admin bestätigt (PATCH /v1/admin/users/{"{"}id{"}"}).
problem-already-appealed = Gegen diesen Eintrag wurde schon Einspruch erhoben.
problem-already-decided = Über diese Änderungsanfrage wurde schon entschieden ({$status}).
problem-already-friends = Ihr seid schon befreundet.
problem-already-handled = Diese Meldung wurde schon bearbeitet.
problem-already-member = Du bist schon in diesem Team.
problem-already-paid = Dieser Monat der Organisation ist schon als bezahlt markiert.
problem-already-reviewed = Diese Prüfung wurde schon abgeschlossen ({$status}).
problem-already-verified = Deine E-Mail-Adresse ist schon bestätigt.
problem-below-minimum-payout = {$cents} Cent liegen unter der Mindestauszahlung von {$minimum}; der Betrag geht in den nächsten Monat über.
problem-campaign-closed = Diese Kampagne nimmt gerade keine Spenden an.
problem-campaign-not-draft = Nur ein Kampagnenentwurf kann eröffnet werden.
problem-challenge-finished = Die Challenge ist schon abgerechnet oder abgesagt.
problem-challenge-started = Die Challenge hat schon begonnen (oder ist vorbei) und kann nicht mehr abgesagt werden.
problem-challenge-undecided = Ein Tag der Challenge wartet noch auf Prüfung; entscheide ihn zuerst.
problem-change-request-expired = Diese Änderungsanfrage ist abgelaufen (72 Stunden); stell sie neu.
problem-email-taken = Es gibt schon ein Konto mit dieser E-Mail-Adresse.
problem-email-taken-link-sign-in = Es gibt schon ein Konto mit dieser E-Mail-Adresse; melde dich mit seinem Passwort an, um diese Anmeldung zu verknüpfen.
problem-email-unverified = Bestätige deine E-Mail-Adresse, bevor du Münzen einlöst; wir haben dir einen Link geschickt.
problem-email-unverified-transfers = Bestätige deine E-Mail-Adresse, bevor du Münzen an andere gibst.
problem-friend-limit = { $whose ->
        [theirs] Die andere Person hat
       *[yours] Du hast
    } schon {$limit} Freunde, mehr geht nicht.
problem-friendship-too-new = Münzen gehen nur an Freunde, mit denen du seit mindestens {$days} Tagen befreundet bist.
problem-gift-limit-reached = Du hast in den letzten 24 Stunden {$limit} Geschenke verschickt, mehr geht nicht.
problem-gift-not-pending = Nur ein ausstehendes Geschenk kann zurückgenommen werden; dieses ist schon gutgeschrieben oder zurückgenommen.
problem-idempotency-key-reused = Dieser Idempotency-Key wurde für eine andere Anfrage verwendet.
problem-insufficient-coins = Dafür reichen deine Münzen nicht.
problem-invalid-code = Dieser Einladungslink ist ungültig.
problem-invalid-mfa-code = Der Code stimmt nicht (oder wurde schon verwendet); gib den aktuellen Code aus deiner Authenticator-App ein.
problem-invalid-push-token = Der Push-Dienst hat dieses Token abgelehnt.
problem-invalid-token = Dieser Link ist ungültig, schon verwendet oder abgelaufen; fordere einen neuen an.
problem-invalid-transition = Eine Bestellung im Status {$from} kann nicht {$to} werden.
problem-invitation-closed = Diese Einladung ist nicht mehr offen: Sie ist abgelaufen, wurde beantwortet oder die Challenge hat begonnen oder wurde abgesagt.
problem-last-admin = Das ist der letzte aktive Admin; ernenne zuerst einen weiteren.
problem-mfa-already-enrolled = Für dieses Konto ist schon ein Authenticator eingerichtet.
problem-mfa-not-enrolled = Für dieses Konto ist noch kein Authenticator eingerichtet (POST /v1/me/mfa/totp).
problem-mfa-not-started = Beginne zuerst mit der Einrichtung eines Authenticators (POST /v1/me/mfa/totp).
problem-mfa-required = Admin-Bereiche brauchen einen zweiten Faktor: Richte eine Authenticator-App ein (POST /v1/me/mfa/totp) oder melde dich mit ihrem Code an (POST /v1/auth/mfa).
problem-month-not-over = Ein Monat wird erst ausgezahlt, wenn er vorbei ist.
problem-monthly-cap-reached = Jede Person sammelt hier höchstens {$cap} Cent im Monat; diesen Monat bleiben {$left}.
problem-monthly-gift-limit-reached = Geschenke von höchstens {$limit} Münzen in 30 Tagen; jetzt bleiben {$left}.
problem-not-allowed-cancel-challenge = Nur wer die Challenge erstellt hat, kann sie absagen.
problem-not-allowed-invite-links = Nur die Teamleitung und Admins erstellen Einladungslinks.
problem-not-allowed-remove-member = Nur die Teamleitung (oder ein Admin bei Mitgliedern) entfernt Personen; wer gehen will, tritt aus.
problem-not-allowed-team-edit = Nur die Teamleitung und Admins können das Team ändern.
problem-not-allowed-team-owner = Das kann nur die Teamleitung.
problem-not-appealable = Einspruch geht nur gegen zurückgehaltene oder abgelehnte Einträge.
problem-not-friends = Münzen gehen nur an Freunde.
problem-out-of-stock = Von diesem Produkt ist nicht genug vorrätig.
problem-out-of-stock-left = Von {$product} sind nur noch {$left} vorrätig.
problem-outdated = Der Eintrag hat sich nach dieser Prüfung geändert; prüfe seine neueste Prüfung.
problem-own-account-change = Admins können ihr eigenes Konto hier nicht ändern; bitte einen anderen Admin.
problem-own-account-coins = Admins können ihre eigenen Münzen nicht anpassen; bitte einen anderen Admin.
problem-own-account-orders = Admins können ihre eigenen Bestellungen nicht ändern; bitte einen anderen Admin.
problem-own-account-reports = Admins können keine Meldungen über sich selbst bearbeiten; bitte einen anderen Admin.
problem-own-account-review = Admins können ihre eigenen Schritteinträge nicht prüfen; bitte einen anderen Admin.
problem-own-request = Du hast diese Änderung angefragt; ein anderer Admin muss sie bestätigen.
problem-payout-not-held = Bei dieser Challenge wartet keine Auszahlung auf einen Admin.
problem-purse-exhausted = Im Topf des Sponsors sind noch {$cents} Cent; gib weniger Münzen.
problem-recently-promoted = Admins können Änderungen bestätigen, wenn sie seit 7 Tagen Admin sind.
problem-recipient-gift-limit-reached = Deine Freundin oder dein Freund hat in 24 Stunden so viele Geschenke bekommen wie möglich; versuch es morgen.
problem-shared-account = Konten, die ein Gerät, eine Telefonnummer oder eine Lieferadresse teilen, können sich keine Münzen geben.
problem-stake-limit-reached = Du bist in den letzten 7 Tagen {$limit} Challenges mit Einsatz beigetreten, mehr geht nicht.
problem-stake-too-large = Ein Einsatz ist höchstens ein Viertel deiner verfügbaren Münzen ({$quarter}) und höchstens {$max}.
problem-stakes-not-available = Münzeinsätze gibt es in deinem Land nicht (oder dein Profil nennt keins); Challenges ohne Einsatz schon.
problem-team-full = { $kind ->
        [club] Dieser Club
       *[team] Dieses Team
    } hat {$limit} Mitglieder, mehr geht nicht.
problem-team-limit = Du bist schon in {$limit} { $kind ->
        [club] Clubs
       *[team] Teams
    }, mehr geht nicht.
problem-timezone-change-too-soon = Deine Zeitzone wurde vor weniger als 24 Stunden geändert; ändern kannst du sie wieder nach {$after}.
problem-too-many-challenges = Du bist schon in {$limit} Challenges; beende zuerst eine.
problem-too-many-invites = Du hast schon 10 Einladungslinks; widerrufe einen oder warte, bis einer abläuft.
problem-transfer-limit-reached = { $what ->
        [recipient] Eine Person kann
       *[you] Du kannst
        [pair] Zwei Personen können untereinander
    } in 30 Tagen höchstens {$limit} Münzen { $what ->
        [recipient] bekommen
       *[other] bewegen
    }.
