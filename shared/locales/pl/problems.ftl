problem-status-400 = Nieprawidłowe żądanie
problem-status-401 = Nie zalogowano
problem-status-403 = Brak uprawnień
problem-status-404 = Nie znaleziono
problem-status-405 = Niedozwolona metoda
problem-status-409 = Konflikt
problem-status-413 = Zbyt duże żądanie
problem-status-422 = Żądanie nieprzyjęte
problem-status-429 = Zbyt wiele żądań
problem-status-500 = Coś poszło nie tak
problem-status-503 = Chwilowo niedostępne
problem-bad-request = Nie udało się odczytać żądania: {$reason}
problem-validation-failed = Żądanie zawiera nieprawidłowe pola.
problem-payload-too-large = Treść żądania przekracza 64 KiB.
problem-unauthorized = Potrzebny jest ważny token dostępu.
problem-invalid-credentials = Nieprawidłowy e-mail lub hasło.
problem-invalid-refresh-token = Token odświeżania jest nieprawidłowy, wygasł lub został już użyty.
problem-invalid-id-token = Nie udało się zweryfikować tokenu tożsamości.
problem-invalid-signature = Podpis webhooka nie pasuje do jego treści.
problem-forbidden = Nie możesz tego zrobić.
problem-not-found = Taki zasób nie istnieje.
problem-method-not-allowed = Ta ścieżka obsługuje tylko {$allow}.
problem-too-many-requests = Zbyt wiele prób; spróbuj ponownie za {$seconds ->
    [one] {$seconds} sekundę
    [few] {$seconds} sekundy
   *[many] {$seconds} sekund
}.
problem-service-unavailable = Potrzebna usługa jest chwilowo niedostępna; spróbuj później.
problem-internal = Wystąpił nieoczekiwany błąd.
problem-account-day-held = { $whose ->
        [theirs] Jego lub jej konto
        [participant] Konto jednego z uczestników
       *[yours] Twoje konto
    } ma dzień w weryfikacji; monety nie mogą się przemieszczać do czasu decyzji.
problem-account-exists = Konto dla tego logowania już istnieje.
problem-account-gone = { $whose ->
        [theirs] Jego lub jej konto
        [participant] Konto jednego z uczestników
       *[yours] Twoje konto
    } już nie istnieje.
problem-account-too-new = Monety trafiają do innych tylko z kont mających co najmniej {$days} dni i {$verified_days} zweryfikowanych dni kroków.
problem-account-under-review = { $whose ->
        [theirs] Jego lub jej konto
        [participant] Konto jednego z uczestników
       *[yours] Twoje konto
    } jest w weryfikacji; monety nie mogą się przemieszczać do czasu decyzji.
problem-admin-exists = Pierwsi administratorzy już istnieją; kolejnego administratora wyznacza wniosek zatwierdzony przez drugiego administratora (PATCH /v1/admin/users/{"{"}id{"}"}).
problem-already-appealed = Od tego wpisu już się odwołano.
problem-already-decided = O tym wniosku już zdecydowano ({$status}).
problem-already-friends = Jesteście już znajomymi.
problem-already-handled = To zgłoszenie zostało już rozpatrzone.
problem-already-member = Jesteś już w tej drużynie.
problem-already-paid = Ten miesiąc organizacji jest już oznaczony jako opłacony.
problem-already-reviewed = Ta weryfikacja jest już zakończona ({$status}).
problem-already-verified = Twój e-mail jest już potwierdzony.
problem-below-minimum-payout = {$cents} gr to mniej niż minimalna wypłata {$minimum}; kwota przechodzi na następny miesiąc.
problem-campaign-closed = Ta kampania nie przyjmuje teraz darowizn.
problem-campaign-not-draft = Otworzyć można tylko szkic kampanii.
problem-challenge-finished = Wyzwanie jest już rozliczone lub odwołane.
problem-challenge-started = Wyzwanie już się zaczęło (lub skończyło); nie można go już odwołać.
problem-challenge-undecided = Dzień wyzwania wciąż czeka na weryfikację; najpierw go rozstrzygnij.
problem-change-request-expired = Ten wniosek wygasł (72 godziny); złóż go ponownie.
problem-email-taken = Konto z tym adresem e-mail już istnieje.
problem-email-taken-link-sign-in = Konto z tym adresem e-mail już istnieje; zaloguj się jego hasłem, aby połączyć to logowanie.
problem-email-unverified = Potwierdź adres e-mail, zanim wymienisz monety; wysłaliśmy Ci link.
problem-email-unverified-transfers = Potwierdź adres e-mail, zanim przekażesz monety innym.
problem-friend-limit = { $whose ->
        [theirs] Ta osoba ma
       *[yours] Masz
    } już {$limit} znajomych, więcej się nie da.
problem-friendship-too-new = Monety trafiają tylko do znajomych od co najmniej {$days} dni.
problem-gift-limit-reached = W ciągu ostatnich 24 godzin wysłano {$limit} prezentów, więcej nie wolno.
problem-gift-not-pending = Cofnąć można tylko oczekujący prezent; ten został już rozliczony lub cofnięty.
problem-idempotency-key-reused = Ten Idempotency-Key był użyty w innym żądaniu.
problem-insufficient-coins = Masz za mało monet.
problem-invalid-code = Ten link z zaproszeniem jest nieprawidłowy.
problem-invalid-mfa-code = Ten kod jest nieprawidłowy (lub już użyty); wpisz aktualny kod z aplikacji uwierzytelniającej.
problem-invalid-push-token = Usługa powiadomień odrzuciła ten token.
problem-invalid-token = Ten link jest nieprawidłowy, został już użyty lub wygasł; poproś o nowy.
problem-invalid-transition = Zamówienie o statusie {$from} nie może przejść w {$to}.
problem-invitation-closed = To zaproszenie nie jest już otwarte: wygasło, otrzymało odpowiedź albo wyzwanie się zaczęło lub zostało odwołane.
problem-last-admin = To ostatni aktywny administrator; najpierw wyznacz innego.
problem-mfa-already-enrolled = To konto ma już skonfigurowaną aplikację uwierzytelniającą.
problem-mfa-not-enrolled = To konto nie ma jeszcze aplikacji uwierzytelniającej (POST /v1/me/mfa/totp).
problem-mfa-not-started = Najpierw zacznij konfigurować aplikację uwierzytelniającą (POST /v1/me/mfa/totp).
problem-mfa-required = Trasy administracyjne wymagają drugiego składnika: skonfiguruj aplikację uwierzytelniającą (POST /v1/me/mfa/totp) lub zaloguj się jej kodem (POST /v1/auth/mfa).
problem-month-not-over = Miesiąc jest wypłacany po jego zakończeniu.
problem-monthly-cap-reached = Każda osoba zbiera tu najwyżej {$cap} gr miesięcznie; w tym miesiącu zostało {$left}.
problem-monthly-gift-limit-reached = Prezenty najwyżej {$limit} monet w ciągu 30 dni; zostało {$left}.
problem-not-allowed-cancel-challenge = Tylko twórca wyzwania może je odwołać.
problem-not-allowed-invite-links = Tylko właściciel drużyny i administratorzy tworzą jej linki z zaproszeniem.
problem-not-allowed-remove-member = Tylko właściciel (lub administrator, w przypadku członków) usuwa osoby; aby odejść, opuść drużynę.
problem-not-allowed-team-edit = Tylko właściciel drużyny i administratorzy mogą ją zmieniać.
problem-not-allowed-team-owner = Tylko właściciel drużyny może to zrobić.
problem-not-appealable = Odwołać się można tylko od wstrzymanych lub odrzuconych wpisów.
problem-not-friends = Monety trafiają tylko do znajomych.
problem-out-of-stock = Za mało sztuk tego produktu.
problem-out-of-stock-left = Zostało tylko {$left} szt. produktu {$product}.
problem-outdated = Wpis zmienił się po tej weryfikacji; sprawdź najnowszą.
problem-own-account-change = Administratorzy nie mogą tu zmieniać własnego konta; poproś innego administratora.
problem-own-account-coins = Administratorzy nie mogą korygować własnych monet; poproś innego administratora.
problem-own-account-orders = Administratorzy nie mogą zmieniać własnych zamówień; poproś innego administratora.
problem-own-account-reports = Administratorzy nie mogą rozpatrywać zgłoszeń na swój temat; poproś innego administratora.
problem-own-account-review = Administratorzy nie mogą weryfikować własnych kroków; poproś innego administratora.
problem-own-request = To Ty złożyłeś ten wniosek; musi go zatwierdzić inny administrator.
problem-payout-not-held = To wyzwanie nie ma wypłaty czekającej na administratora.
problem-purse-exhausted = W puli sponsora zostało {$cents} gr; przekaż mniej monet.
problem-recently-promoted = Administratorzy zatwierdzają zmiany po 7 dniach w tej roli.
problem-recipient-gift-limit-reached = Twój znajomy dostał już tyle prezentów, ile można w 24 godziny; spróbuj jutro.
problem-shared-account = Konta, które dzielą urządzenie, numer telefonu lub adres dostawy, nie mogą przekazywać sobie monet.
problem-stake-limit-reached = W ciągu ostatnich 7 dni dołączono do {$limit} wyzwań ze stawką, więcej nie wolno.
problem-stake-too-large = Stawka to najwyżej jedna czwarta dostępnych monet ({$quarter}) i najwyżej {$max}.
problem-stakes-not-available = Stawki w monetach nie są dostępne w Twoim kraju (lub profil go nie podaje); wyzwania bez stawki są.
problem-team-full = { $kind ->
        [club] Ten klub
       *[team] Ta drużyna
    } ma {$limit} członków, więcej się nie da.
problem-team-limit = Należysz już do {$limit} { $kind ->
        [club] klubów
       *[team] drużyn
    }, więcej się nie da.
problem-timezone-change-too-soon = Strefa czasowa zmieniła się mniej niż 24 godziny temu; możesz ją zmienić ponownie po {$after}.
problem-too-many-challenges = Bierzesz już udział w {$limit} wyzwaniach; najpierw zakończ jedno.
problem-too-many-invites = Masz już 10 linków z zaproszeniem; unieważnij jeden lub poczekaj, aż któryś wygaśnie.
problem-transfer-limit-reached = { $what ->
        [recipient] Jedna osoba może otrzymać
        [pair] Dwie osoby mogą przekazać sobie
       *[you] Możesz przekazać
    } najwyżej {$limit} monet w ciągu {$days} dni.
