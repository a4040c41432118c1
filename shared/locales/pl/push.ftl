push-coins-credited = +{$coins} { $coins ->
        [one] moneta
        [few] monety
       *[many] monet
    } za kroki z dnia {DATE($date)}.
    .title = Zdobyte monety
push-day-held = Twoje kroki z dnia {DATE($date)} czekają na krótką weryfikację. {$reasons} Damy znać, jak poszło.
    .title = Sprawdzamy jeden dzień
push-review-approved = Twoje kroki z dnia {DATE($date)} zostały zatwierdzone, monety są Twoje.
    .title = Weryfikacja zakończona: zatwierdzono
push-review-rejected = Twoje kroki z dnia {DATE($date)} nie zostały zatwierdzone: {$note}
    .title = Weryfikacja zakończona
push-achievement-unlocked = {$name}! { $bonus ->
        [0] {""}
       *[other] +{$bonus} { $bonus ->
            [one] moneta
            [few] monety
           *[many] monet
        }.
    }
    .title = Osiągnięcie odblokowane
push-order-confirmed = Zamówienie {$order_code} jest potwierdzone i w przygotowaniu.
    .title = Zamówienie potwierdzone
push-order-shipped = Zamówienie {$order_code} zostało wysłane.
    .title = Nagroda jest w drodze
push-order-shipped-tracking = Zamówienie {$order_code} zostało wysłane, numer przesyłki {$tracking_number}.
    .title = Nagroda jest w drodze
push-order-shipped-carrier = Zamówienie {$order_code} zostało wysłane przez {$carrier}, numer przesyłki {$tracking_number}.
    .title = Nagroda jest w drodze
push-order-delivered = Zamówienie {$order_code} zostało dostarczone. Miłego korzystania!
    .title = Dostarczono
push-order-cancelled = Zamówienie {$order_code} zostało anulowane, monety wróciły.
    .title = Zamówienie anulowane
push-order-refunded = Monety za zamówienie {$order_code} wróciły.
    .title = Zamówienie zwrócone
push-streak-freeze = Ochrona serii obejmie dzisiejszy dzień, jeśli go opuścisz; do zachowania jej na później brakuje kroków: {$left}.
    .title = Twoja seria jest na razie bezpieczna
push-streak-at-risk = Twoja seria trwa już { $streak_days ->
        [one] {$streak_days} dzień
       *[other] {$streak_days} dni
    }: brakuje dziś kroków do jej podtrzymania: {$left}.
    .title = Podtrzymaj serię
push-challenge-invited = { $stake_coins ->
        [0] {$alias} zaprasza Cię do wyzwania {$title}.
       *[other] {$alias} zaprasza Cię do wyzwania {$title}. Stawka: {$stake_coins} { $stake_coins ->
            [one] moneta
            [few] monety
           *[many] monet
        }.
    }
    .title = Masz wyzwanie
push-challenge-started = {$title} już trwa. Liczy się każdy zweryfikowany krok!
    .title = Wyzwanie wystartowało
push-challenge-overtaken = {$alias} wyprzedza Cię w wyzwaniu {$title}. Czas na spacer?
    .title = Ktoś Cię wyprzedził
push-challenge-cancelled = {$title} zostało odwołane; stawka wróciła do portfela.
    .title = Wyzwanie odwołane
push-challenge-ended = {$title} dobiegło końca. Wyniki są ostateczne po spóźnionych synchronizacjach i weryfikacjach.
    .title = Wyzwanie zakończone
push-challenge-won = Wygrywasz {$title}: +{$payout_coins} { $payout_coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }.
    .title = Wygrana!
push-challenge-goal-met = Cel wyzwania {$title} osiągnięty: +{$payout_coins} { $payout_coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }.
    .title = Cel osiągnięty
push-challenge-stake-returned = {$title} jest rozliczone, a stawka wróciła do portfela: {$payout_coins} { $payout_coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }.
    .title = Stawka zwrócona
push-challenge-lost = {$title} jest rozliczone. Powodzenia następnym razem!
    .title = Wyzwanie rozliczone
push-gift-arrived = {$alias} wysyła Ci prezent: {$coins} { $coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }. Możesz go wydać za 7 dni.
    .title = Prezent dla Ciebie
push-gift-settled = Prezent jest już w portfelu: {$coins} { $coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }.
    .title = Prezent gotowy
push-gift-returned = Twój prezent wrócił do portfela: {$coins} { $coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }.
    .title = Prezent zwrócony
push-gift-withdrawn = Oczekujący prezent dla Ciebie został wycofany: {$coins} { $coins ->
        [one] moneta
        [few] monety
       *[many] monet
    }.
    .title = Prezent wycofany
push-campaign-goal-reached = {$title} dla {$charity} osiąga cel. Dziękujemy za wsparcie!
    .title = Cel osiągnięty!
push-friend-request = {$alias} użył(a) Twojego linku z zaproszeniem. Zaakceptuj, aby zostać znajomymi.
    .title = Ktoś chce chodzić z Tobą
push-friend-accepted = {$alias} akceptuje zaproszenie: jesteście znajomymi. { $friends ->
        [one] Twoja lista znajomych liczy {$friends} osobę.
        [few] Twoja lista znajomych liczy {$friends} osoby.
        [many] Twoja lista znajomych liczy {$friends} osób.
       *[other] Twoja lista znajomych liczy {$friends} osoby.
    }
    .title = Nowy znajomy
push-team-joined = Dołączasz do drużyny {$team}.
    .title = Witaj w drużynie
push-team-goal-reached = {$team} osiąga wspólny cel! Razem: {$steps} { $steps ->
        [one] krok
        [few] kroki
       *[many] kroków
    }.
    .title = Cel drużyny osiągnięty
