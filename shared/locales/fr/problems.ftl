problem-status-400 = Requête incorrecte
problem-status-401 = Non connecté
problem-status-403 = Non autorisé
problem-status-404 = Introuvable
problem-status-405 = Méthode non autorisée
problem-status-409 = Conflit
problem-status-413 = Requête trop volumineuse
problem-status-422 = Requête refusée
problem-status-429 = Trop de requêtes
problem-status-500 = Une erreur est survenue
problem-status-503 = Temporairement indisponible
problem-bad-request = La requête n’a pas pu être lue : {$reason}
problem-validation-failed = La requête contient des champs non valides.
problem-payload-too-large = Le corps de la requête dépasse 64 Kio.
problem-unauthorized = Un jeton d’accès valide est nécessaire.
problem-invalid-credentials = L’e-mail ou le mot de passe est incorrect.
problem-invalid-refresh-token = Le jeton de rafraîchissement est invalide, expiré ou déjà utilisé.
problem-invalid-id-token = Le jeton d’identité n’a pas pu être vérifié.
problem-invalid-signature = La signature du webhook ne correspond pas à son contenu.
problem-forbidden = Vous n’êtes pas autorisé à faire cela.
problem-not-found = Cette ressource n’existe pas.
problem-method-not-allowed = Ce chemin n’accepte que {$allow}.
problem-too-many-requests = Trop de tentatives ; réessayez dans {$seconds ->
    [one] {$seconds} seconde
   *[other] {$seconds} secondes
}.
problem-service-unavailable = Un service nécessaire est momentanément indisponible ; réessayez plus tard.
problem-internal = Une erreur inattendue s’est produite.
problem-account-day-held = { $whose ->
        [theirs] Son compte
        [participant] Le compte d’un participant
       *[yours] Votre compte
    } a une journée en cours de vérification ; les pièces ne peuvent pas bouger avant la décision.
problem-account-exists = Un compte existe déjà pour cette connexion.
problem-account-gone = { $whose ->
        [theirs] Son compte
        [participant] Le compte d’un participant
       *[yours] Votre compte
    } n’existe plus.
problem-account-too-new = Les pièces ne vont à d’autres personnes que depuis des comptes d’au moins {$days} jours avec {$verified_days} jours de pas vérifiés.
problem-account-under-review = { $whose ->
        [theirs] Son compte
        [participant] Le compte d’un participant
       *[yours] Votre compte
    } est en cours d’examen ; les pièces ne peuvent pas bouger avant la décision.
problem-admin-exists = Les premiers administrateurs existent déjà ; un autre administrateur est nommé par une demande qu’un second administrateur approuve (PATCH /v1/admin/users/{"{"}id{"}"}).
problem-already-appealed = Cet enregistrement a déjà fait l’objet d’un recours.
problem-already-decided = Cette demande de modification est déjà décidée ({$status}).
problem-already-friends = Vous êtes déjà amis.
problem-already-handled = Ce signalement a déjà été traité.
problem-already-member = Vous êtes déjà dans cette équipe.
problem-already-paid = Ce mois de l’association est déjà marqué comme payé.
problem-already-reviewed = Cette vérification est déjà terminée ({$status}).
problem-already-verified = Votre e-mail est déjà confirmé.
problem-below-minimum-payout = {$cents} centimes sont en dessous du versement minimum de {$minimum} ; le montant passe au mois suivant.
problem-campaign-closed = Cette campagne n’accepte pas de dons pour le moment.
problem-campaign-not-draft = Seul un brouillon de campagne peut être ouvert.
problem-challenge-finished = Le défi est déjà réglé ou annulé.
problem-challenge-started = Le défi a commencé (ou est terminé) ; il ne peut plus être annulé.
problem-challenge-undecided = Une journée du défi attend encore une vérification ; décidez-la d’abord.
problem-change-request-expired = Cette demande de modification a expiré (72 heures) ; refaites la demande.
problem-email-taken = Un compte existe déjà avec cet e-mail.
problem-email-taken-link-sign-in = Un compte existe avec cet e-mail ; connectez-vous avec son mot de passe pour lier cette connexion.
problem-email-unverified = Confirmez votre adresse e-mail avant d’échanger des pièces ; nous vous avons envoyé un lien.
problem-email-unverified-transfers = Confirmez votre adresse e-mail avant de donner des pièces à d’autres.
problem-friend-limit = { $whose ->
        [theirs] Cette personne a
       *[yours] Vous avez
    } déjà {$limit} amis, le maximum possible.
problem-friendship-too-new = Les pièces ne vont qu’à des amis depuis au moins {$days} jours.
problem-gift-limit-reached = Vous avez envoyé {$limit} cadeaux ces dernières 24 heures, le maximum autorisé.
problem-gift-not-pending = Seul un cadeau en attente peut être annulé ; celui-ci est déjà versé ou annulé.
problem-idempotency-key-reused = Cette Idempotency-Key a servi pour une autre requête.
problem-insufficient-coins = Vous n’avez pas assez de pièces pour cela.
problem-invalid-code = Ce lien d’invitation n’est pas valide.
problem-invalid-mfa-code = Ce code n’est pas bon (ou a déjà servi) ; saisissez le code actuel de votre application d’authentification.
problem-invalid-push-token = Le service de notifications a refusé ce jeton.
problem-invalid-token = Ce lien est invalide, déjà utilisé ou expiré ; demandez-en un nouveau.
problem-invalid-transition = Une commande à l’état {$from} ne peut pas passer à {$to}.
problem-invitation-closed = Cette invitation n’est plus ouverte : elle a expiré, a reçu une réponse, ou le défi a commencé ou a été annulé.
problem-last-admin = C’est le dernier administrateur actif ; nommez-en d’abord un autre.
problem-mfa-already-enrolled = Une application d’authentification est déjà configurée pour ce compte.
problem-mfa-not-enrolled = Aucune application d’authentification n’est encore configurée pour ce compte (POST /v1/me/mfa/totp).
problem-mfa-not-started = Commencez d’abord la configuration d’une application d’authentification (POST /v1/me/mfa/totp).
problem-mfa-required = Les routes d’administration exigent un second facteur : configurez une application d’authentification (POST /v1/me/mfa/totp) ou connectez-vous avec son code (POST /v1/auth/mfa).
problem-month-not-over = Un mois est versé une fois terminé.
problem-monthly-cap-reached = Chaque personne collecte au plus {$cap} centimes par mois ici ; il en reste {$left} ce mois-ci.
problem-monthly-gift-limit-reached = Cadeaux d’au plus {$limit} pièces sur 30 jours ; il en reste {$left}.
problem-not-allowed-cancel-challenge = Seul le créateur du défi peut l’annuler.
problem-not-allowed-invite-links = Seuls le propriétaire de l’équipe et les administrateurs créent ses liens d’invitation.
problem-not-allowed-remove-member = Seul le propriétaire (ou un administrateur pour les membres) retire quelqu’un ; pour partir, quittez l’équipe.
problem-not-allowed-team-edit = Seuls le propriétaire de l’équipe et les administrateurs peuvent la modifier.
problem-not-allowed-team-owner = Seul le propriétaire de l’équipe peut faire cela.
problem-not-appealable = Seuls les enregistrements retenus ou refusés peuvent faire l’objet d’un recours.
problem-not-friends = Les pièces ne vont qu’à des amis.
problem-out-of-stock = Stock insuffisant pour ce produit.
problem-out-of-stock-left = Il ne reste que {$left} {$product} en stock.
problem-outdated = L’enregistrement a changé après cette vérification ; examinez plutôt la plus récente.
problem-own-account-change = Les administrateurs ne peuvent pas modifier leur propre compte ici ; demandez à un autre administrateur.
problem-own-account-coins = Les administrateurs ne peuvent pas ajuster leurs propres pièces ; demandez à un autre administrateur.
problem-own-account-orders = Les administrateurs ne peuvent pas modifier leurs propres commandes ; demandez à un autre administrateur.
problem-own-account-reports = Les administrateurs ne peuvent pas traiter les signalements les concernant ; demandez à un autre administrateur.
problem-own-account-review = Les administrateurs ne peuvent pas vérifier leurs propres pas ; demandez à un autre administrateur.
problem-own-request = Vous avez demandé cette modification ; un autre administrateur doit l’approuver.
problem-payout-not-held = Aucun versement de ce défi n’attend un administrateur.
problem-purse-exhausted = Il reste {$cents} centimes dans la cagnotte du sponsor ; donnez moins de pièces.
problem-recently-promoted = Les administrateurs approuvent des modifications après 7 jours en tant qu’administrateur.
problem-recipient-gift-limit-reached = Votre ami a reçu autant de cadeaux que possible en 24 heures ; réessayez demain.
problem-shared-account = Des comptes qui partagent un appareil, un numéro de téléphone ou une adresse de livraison ne peuvent pas s’échanger de pièces.
problem-stake-limit-reached = Vous avez rejoint {$limit} défis avec mise ces 7 derniers jours, le maximum autorisé.
problem-stake-too-large = Une mise vaut au plus un quart de vos pièces disponibles ({$quarter}) et au plus {$max}.
problem-stakes-not-available = Les mises en pièces ne sont pas proposées dans votre pays (ou votre profil n’en indique aucun) ; les défis sans mise, si.
problem-team-full = { $kind ->
        [club] Ce club
       *[team] Cette équipe
    } compte {$limit} membres, le maximum possible.
problem-team-limit = Vous êtes déjà dans {$limit} { $kind ->
        [club] clubs
       *[team] équipes
    }, le maximum possible.
problem-timezone-change-too-soon = Votre fuseau horaire a changé il y a moins de 24 heures ; vous pourrez le changer après {$after}.
problem-too-many-challenges = Vous participez déjà à {$limit} défis ; terminez-en un d’abord.
problem-too-many-invites = Vous avez déjà 10 liens d’invitation ; révoquez-en un ou attendez qu’un expire.
problem-transfer-limit-reached = { $what ->
        [recipient] Une personne peut recevoir
        [pair] Deux personnes peuvent échanger
       *[you] Vous pouvez déplacer
    } au plus {$limit} pièces sur {$days} jours.
