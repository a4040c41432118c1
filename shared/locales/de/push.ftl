push-coins-credited = +{$coins} Münzen für deine Schritte am {DATE($date)}.
    .title = Münzen verdient
push-day-held = Deine Schritte vom {DATE($date)} werden kurz geprüft. {$reasons} Wir sagen dir, wie es ausgegangen ist.
    .title = Ein Tag wird geprüft
push-review-approved = Deine Schritte vom {DATE($date)} wurden bestätigt, die Münzen gehören dir.
    .title = Prüfung abgeschlossen: bestätigt
push-review-rejected = Deine Schritte vom {DATE($date)} wurden nicht bestätigt: {$note}
    .title = Prüfung abgeschlossen
push-achievement-unlocked = {$name}! { $bonus ->
        [0] {""}
       *[other] +{$bonus} Münzen.
    }
    .title = Erfolg freigeschaltet
push-order-confirmed = Bestellung {$order_code} ist bestätigt und wird vorbereitet.
    .title = Bestellung bestätigt
push-order-shipped = Bestellung {$order_code} ist verschickt.
    .title = Deine Prämie ist unterwegs
push-order-shipped-tracking = Bestellung {$order_code} ist verschickt, Sendungsnummer {$tracking_number}.
    .title = Deine Prämie ist unterwegs
push-order-shipped-carrier = Bestellung {$order_code} ist mit {$carrier} verschickt, Sendungsnummer {$tracking_number}.
    .title = Deine Prämie ist unterwegs
push-order-delivered = Bestellung {$order_code} wurde zugestellt. Viel Freude!
    .title = Zugestellt
push-order-cancelled = Bestellung {$order_code} wurde storniert, deine Münzen sind zurück.
    .title = Bestellung storniert
push-order-refunded = Deine Münzen für Bestellung {$order_code} sind zurück.
    .title = Bestellung erstattet
push-streak-freeze = Dein Serienschutz deckt heute ab, falls du aussetzt; mit {$left} weiteren Schritten bleibt er dir für später.
    .title = Deine Serie ist vorerst sicher
push-streak-at-risk = Du bist bei einer Serie von {$streak_days} Tagen: {$left} weitere Schritte heute halten sie am Leben.
    .title = Halte deine Serie
push-challenge-invited = { $stake_coins ->
        [0] {$alias} lädt dich zu {$title} ein.
       *[other] {$alias} lädt dich zu {$title} ein, mit einem Einsatz von {$stake_coins} Münzen.
    }
    .title = Du wirst herausgefordert
push-challenge-started = {$title} hat begonnen. Jeder bestätigte Schritt zählt!
    .title = Die Challenge läuft
push-challenge-overtaken = {$alias} hat dich in {$title} überholt. Zeit für einen Spaziergang?
    .title = Du wurdest überholt
push-challenge-cancelled = {$title} wurde abgesagt; ein Einsatz ist zurück in deiner Geldbörse.
    .title = Challenge abgesagt
push-challenge-ended = {$title} ist vorbei. Die Ergebnisse stehen fest, sobald späte Synchronisierungen und Prüfungen da sind.
    .title = Die Challenge ist vorbei
push-challenge-won = Du hast {$title} gewonnen: +{$payout_coins} Münzen.
    .title = Gewonnen!
push-challenge-goal-met = Du hast das Ziel von {$title} erreicht: +{$payout_coins} Münzen.
    .title = Ziel erreicht
push-challenge-stake-returned = {$title} ist abgerechnet, deine {$payout_coins} Münzen sind zurück.
    .title = Einsatz zurück
push-challenge-lost = {$title} ist abgerechnet. Viel Glück beim nächsten Mal!
    .title = Challenge abgerechnet
push-gift-arrived = {$alias} hat dir {$coins} Münzen geschickt. In 7 Tagen kannst du sie ausgeben.
    .title = Ein Geschenk für dich
push-gift-settled = {$coins} geschenkte Münzen sind jetzt in deiner Geldbörse.
    .title = Dein Geschenk ist da
push-gift-returned = Dein Geschenk von {$coins} Münzen ist zurück in deiner Geldbörse.
    .title = Geschenk zurück
push-gift-withdrawn = Ein ausstehendes Geschenk von {$coins} Münzen an dich wurde zurückgenommen.
    .title = Geschenk zurückgenommen
push-campaign-goal-reached = {$title} für {$charity} hat das Ziel erreicht. Danke fürs Spenden!
    .title = Ziel erreicht!
push-friend-request = {$alias} hat deinen Einladungslink benutzt. Nimm an, um befreundet zu sein.
    .title = Jemand will mit dir gehen
push-friend-accepted = {$alias} hat angenommen: Ihr seid jetzt befreundet. { $friends ->
        [one] Du hast eine Freundin oder einen Freund auf FitKart.
       *[other] Du hast {$friends} Freunde auf FitKart.
    }
    .title = Neue Freundschaft
push-team-joined = Du bist {$team} beigetreten.
    .title = Willkommen im Team
push-team-goal-reached = {$team} ist zusammen {$steps} Schritte gegangen und hat das Ziel erreicht!
    .title = Teamziel erreicht
