push-coins-credited = +{$coins} monedas por tus pasos del {DATE($date)}.
    .title = Monedas ganadas
push-day-held = Tus pasos del {DATE($date)} están retenidos para una revisión rápida. {$reasons} Te contaremos el resultado.
    .title = Estamos revisando un día
push-review-approved = Tus pasos del {DATE($date)} se aprobaron y las monedas son tuyas.
    .title = Revisión terminada: aprobada
push-review-rejected = Tus pasos del {DATE($date)} no se aprobaron: {$note}
    .title = Revisión terminada
push-achievement-unlocked = ¡{$name}! { $bonus ->
        [0] {""}
       *[other] +{$bonus} monedas.
    }
    .title = Logro desbloqueado
push-order-confirmed = El pedido {$order_code} está confirmado y en preparación.
    .title = Pedido confirmado
push-order-shipped = El pedido {$order_code} se ha enviado.
    .title = Tu recompensa va en camino
push-order-shipped-tracking = El pedido {$order_code} se ha enviado, seguimiento {$tracking_number}.
    .title = Tu recompensa va en camino
push-order-shipped-carrier = El pedido {$order_code} se ha enviado con {$carrier}, seguimiento {$tracking_number}.
    .title = Tu recompensa va en camino
push-order-delivered = El pedido {$order_code} se entregó. ¡Que lo disfrutes!
    .title = Entregado
push-order-cancelled = El pedido {$order_code} se canceló y tus monedas han vuelto.
    .title = Pedido cancelado
push-order-refunded = Tus monedas del pedido {$order_code} han vuelto.
    .title = Pedido reembolsado
push-streak-freeze = Tu protección de racha cubre hoy si fallas; {$left} pasos más la guardan para después.
    .title = Tu racha está a salvo, por ahora
push-streak-at-risk = Llevas una racha de {$streak_days} días: {$left} pasos más hoy la mantienen viva.
    .title = Mantén tu racha
push-challenge-invited = { $stake_coins ->
        [0] {$alias} te invita a {$title}.
       *[other] {$alias} te invita a {$title} con una apuesta de {$stake_coins} monedas.
    }
    .title = Te han retado
push-challenge-started = {$title} ha empezado. ¡Cada paso verificado cuenta!
    .title = El reto está en marcha
push-challenge-overtaken = {$alias} te adelantó en {$title}. ¿Un paseo?
    .title = Te han adelantado
push-challenge-cancelled = {$title} se canceló; cualquier apuesta ha vuelto a tu monedero.
    .title = Reto cancelado
push-challenge-ended = {$title} ha terminado. Los resultados son definitivos cuando lleguen las sincronizaciones tardías y las revisiones.
    .title = El reto ha terminado
push-challenge-won = Ganaste {$title}: +{$payout_coins} monedas.
    .title = ¡Has ganado!
push-challenge-goal-met = Cumpliste el objetivo de {$title}: +{$payout_coins} monedas.
    .title = Objetivo cumplido
push-challenge-stake-returned = {$title} está liquidado y tus {$payout_coins} monedas han vuelto.
    .title = Apuesta devuelta
push-challenge-lost = {$title} está liquidado. ¡Más suerte la próxima vez!
    .title = Reto liquidado
push-gift-arrived = {$alias} te envió {$coins} monedas. Podrás gastarlas en 7 días.
    .title = Un regalo para ti
push-gift-settled = {$coins} monedas regaladas ya están en tu monedero.
    .title = Tu regalo está listo
push-gift-returned = Tu regalo de {$coins} monedas volvió a tu monedero.
    .title = Regalo devuelto
push-gift-withdrawn = Se retiró un regalo pendiente de {$coins} monedas para ti.
    .title = Regalo retirado
push-campaign-goal-reached = {$title} para {$charity} alcanzó su objetivo. ¡Gracias por donar!
    .title = ¡Objetivo alcanzado!
push-friend-request = {$alias} usó tu enlace de invitación. Acepta para ser amigos.
    .title = Alguien quiere caminar contigo
push-friend-accepted = {$alias} aceptó: ya sois amigos. { $friends ->
        [one] Tienes {$friends} amigo en FitKart.
       *[other] Tienes {$friends} amigos en FitKart.
    }
    .title = Nuevo amigo
push-team-joined = Te uniste a {$team}.
    .title = Bienvenido al equipo
push-team-goal-reached = ¡{$team} caminó {$steps} pasos en equipo y alcanzó su objetivo!
    .title = Objetivo de equipo alcanzado
