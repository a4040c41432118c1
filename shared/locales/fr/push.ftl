push-coins-credited = +{$coins} pièces pour vos pas du {DATE($date)}.
    .title = Pièces gagnées
push-day-held = Vos pas du {DATE($date)} sont retenus pour une courte vérification. {$reasons} Nous vous dirons ce qu’il en est.
    .title = Une journée est vérifiée
push-review-approved = Vos pas du {DATE($date)} ont été approuvés, les pièces sont à vous.
    .title = Vérification terminée : approuvée
push-review-rejected = Vos pas du {DATE($date)} n’ont pas été approuvés : {$note}
    .title = Vérification terminée
push-achievement-unlocked = {$name} ! { $bonus ->
        [0] {""}
       *[other] +{$bonus} pièces.
    }
    .title = Succès débloqué
push-order-confirmed = La commande {$order_code} est confirmée et en préparation.
    .title = Commande confirmée
push-order-shipped = La commande {$order_code} est expédiée.
    .title = Votre récompense est en route
push-order-shipped-tracking = La commande {$order_code} est expédiée, suivi {$tracking_number}.
    .title = Votre récompense est en route
push-order-shipped-carrier = La commande {$order_code} est expédiée avec {$carrier}, suivi {$tracking_number}.
    .title = Votre récompense est en route
push-order-delivered = La commande {$order_code} a été livrée. Profitez-en !
    .title = Livrée
push-order-cancelled = La commande {$order_code} a été annulée et vos pièces sont de retour.
    .title = Commande annulée
push-order-refunded = Vos pièces pour la commande {$order_code} sont de retour.
    .title = Commande remboursée
push-streak-freeze = Votre protection de série couvre aujourd’hui si vous le manquez ; {$left} pas de plus la gardent pour plus tard.
    .title = Votre série est sauve, pour l’instant
push-streak-at-risk = Vous êtes sur une série de {$streak_days} jours : {$left} pas de plus aujourd’hui la gardent en vie.
    .title = Continuez votre série
push-challenge-invited = { $stake_coins ->
        [0] {$alias} vous invite à {$title}.
       *[other] {$alias} vous invite à {$title} avec une mise de {$stake_coins} pièces.
    }
    .title = On vous défie
push-challenge-started = {$title} a commencé. Chaque pas vérifié compte !
    .title = Le défi est lancé
push-challenge-overtaken = {$alias} vous a dépassé dans {$title}. Une petite marche ?
    .title = Vous avez été dépassé
push-challenge-cancelled = {$title} a été annulé ; toute mise est de retour dans votre portefeuille.
    .title = Défi annulé
push-challenge-ended = {$title} est terminé. Les résultats sont définitifs une fois les synchronisations tardives et les vérifications faites.
    .title = Le défi est terminé
push-challenge-won = Vous avez gagné {$title} : +{$payout_coins} pièces.
    .title = Gagné !
push-challenge-goal-met = Vous avez atteint l’objectif de {$title} : +{$payout_coins} pièces.
    .title = Objectif atteint
push-challenge-stake-returned = {$title} est réglé et vos {$payout_coins} pièces sont de retour.
    .title = Mise rendue
push-challenge-lost = {$title} est réglé. Plus de chance la prochaine fois !
    .title = Défi réglé
push-gift-arrived = {$alias} vous a envoyé {$coins} pièces. Vous pourrez les dépenser dans 7 jours.
    .title = Un cadeau pour vous
push-gift-settled = {$coins} pièces offertes sont maintenant dans votre portefeuille.
    .title = Votre cadeau est prêt
push-gift-returned = Votre cadeau de {$coins} pièces est revenu dans votre portefeuille.
    .title = Cadeau rendu
push-gift-withdrawn = Un cadeau en attente de {$coins} pièces pour vous a été retiré.
    .title = Cadeau retiré
push-campaign-goal-reached = {$title} pour {$charity} a atteint son objectif. Merci pour vos dons !
    .title = Objectif atteint !
push-friend-request = {$alias} a utilisé votre lien d’invitation. Acceptez pour devenir amis.
    .title = Quelqu’un veut marcher avec vous
push-friend-accepted = {$alias} a accepté : vous êtes amis. { $friends ->
        [one] Vous avez {$friends} ami sur FitKart.
       *[other] Vous avez {$friends} amis sur FitKart.
    }
    .title = Nouvel ami
push-team-joined = Vous avez rejoint {$team}.
    .title = Bienvenue dans l’équipe
push-team-goal-reached = {$team} a marché {$steps} pas ensemble et atteint son objectif !
    .title = Objectif d’équipe atteint
