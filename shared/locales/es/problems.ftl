problem-status-400 = Solicitud incorrecta
problem-status-401 = Sin sesión iniciada
problem-status-403 = No permitido
problem-status-404 = No encontrado
problem-status-405 = Método no permitido
problem-status-409 = Conflicto
problem-status-413 = Solicitud demasiado grande
problem-status-422 = Solicitud no aceptada
problem-status-429 = Demasiadas solicitudes
problem-status-500 = Algo salió mal
problem-status-503 = No disponible temporalmente
problem-bad-request = No se pudo leer la solicitud: {$reason}
problem-validation-failed = La solicitud tiene campos no válidos.
problem-payload-too-large = El cuerpo de la solicitud supera los 64 KiB.
problem-unauthorized = Se necesita un token de acceso válido.
problem-invalid-credentials = El correo o la contraseña no son correctos.
problem-invalid-refresh-token = El token de renovación no es válido, caducó o ya se usó.
problem-invalid-id-token = No se pudo verificar el token de identidad.
problem-invalid-signature = La firma del webhook no coincide con su contenido.
problem-forbidden = No puedes hacer esto.
problem-not-found = El recurso no existe.
problem-method-not-allowed = Esta ruta solo admite {$allow}.
problem-too-many-requests = Demasiados intentos; vuelve a intentarlo en {$seconds ->
    [one] {$seconds} segundo
   *[other] {$seconds} segundos
}.
problem-service-unavailable = Un servicio necesario no está disponible ahora; inténtalo más tarde.
problem-internal = Se produjo un error inesperado.
problem-account-day-held = { $whose ->
        [theirs] Su cuenta
        [participant] La cuenta de un participante
       *[yours] Tu cuenta
    } tiene un día en revisión; las monedas no se mueven hasta que se decida.
problem-account-exists = Ya existe una cuenta para este inicio de sesión.
problem-account-gone = { $whose ->
        [theirs] Su cuenta
        [participant] La cuenta de un participante
       *[yours] Tu cuenta
    } ya no existe.
problem-account-too-new = Las monedas solo van a otras personas desde cuentas de al menos {$days} días con {$verified_days} días de pasos verificados.
problem-account-under-review = { $whose ->
        [theirs] Su cuenta
        [participant] La cuenta de un participante
       *[yours] Tu cuenta
    } está en revisión; las monedas no se mueven hasta que se decida.
problem-admin-exists = Los primeros administradores ya existen; otro administrador se nombra con una solicitud que aprueba un segundo administrador (PATCH /v1/admin/users/{"{"}id{"}"}).
problem-already-appealed = Este registro ya fue apelado.
problem-already-decided = Esta solicitud de cambio ya está decidida ({$status}).
problem-already-friends = Ya sois amigos.
problem-already-handled = Este informe ya se gestionó.
problem-already-member = Ya estás en este equipo.
problem-already-paid = Este mes de la organización ya está marcado como pagado.
problem-already-reviewed = Esta validación ya terminó ({$status}).
problem-already-verified = Tu correo ya está confirmado.
problem-below-minimum-payout = {$cents} céntimos están por debajo del pago mínimo de {$minimum}; pasan al mes siguiente.
problem-campaign-closed = Esta campaña no acepta donaciones ahora.
problem-campaign-not-draft = Solo se abre una campaña en borrador.
problem-challenge-finished = El reto ya está liquidado o cancelado.
problem-challenge-started = El reto ya empezó (o terminó); ya no se puede cancelar.
problem-challenge-undecided = Un día del reto aún espera revisión; decídelo primero.
problem-change-request-expired = Esta solicitud de cambio caducó (72 horas); vuelve a pedir el cambio.
problem-email-taken = Ya existe una cuenta con este correo.
problem-email-taken-link-sign-in = Ya existe una cuenta con este correo; inicia sesión con su contraseña para vincular este acceso.
problem-email-unverified = Confirma tu correo antes de canjear monedas; te enviamos un enlace.
problem-email-unverified-transfers = Confirma tu correo antes de pasar monedas a otras personas.
problem-friend-limit = { $whose ->
        [theirs] Esa persona ya tiene
       *[yours] Ya tienes
    } {$limit} amigos, el máximo posible.
problem-friendship-too-new = Las monedas solo van a amigos de al menos {$days} días.
problem-gift-limit-reached = Enviaste {$limit} regalos en las últimas 24 horas, el máximo permitido.
problem-gift-not-pending = Solo se puede revertir un regalo pendiente; este ya se abonó o se revirtió.
problem-idempotency-key-reused = Esta Idempotency-Key se usó para otra solicitud.
problem-insufficient-coins = No tienes monedas suficientes para esto.
problem-invalid-code = Este enlace de invitación no es válido.
problem-invalid-mfa-code = Ese código no es correcto (o ya se usó); introduce el código actual de tu app de autenticación.
problem-invalid-push-token = El servicio de notificaciones rechazó este token.
problem-invalid-token = Este enlace no es válido, ya se usó o caducó; pide uno nuevo.
problem-invalid-transition = Un pedido en estado {$from} no puede pasar a {$to}.
problem-invitation-closed = Esta invitación ya no está abierta: caducó, se respondió, o el reto empezó o se canceló.
problem-last-admin = Este es el último administrador activo; nombra primero a otro.
problem-mfa-already-enrolled = Esta cuenta ya tiene una app de autenticación configurada.
problem-mfa-not-enrolled = Esta cuenta aún no tiene una app de autenticación (POST /v1/me/mfa/totp).
problem-mfa-not-started = Empieza primero a configurar una app de autenticación (POST /v1/me/mfa/totp).
problem-mfa-required = Las rutas de administración necesitan un segundo factor: configura una app de autenticación (POST /v1/me/mfa/totp) o inicia sesión con su código (POST /v1/auth/mfa).
problem-month-not-over = Un mes se paga cuando termina.
problem-monthly-cap-reached = Cada persona recauda aquí como mucho {$cap} céntimos al mes; quedan {$left} este mes.
problem-monthly-gift-limit-reached = Regalos de como mucho {$limit} monedas en 30 días; quedan {$left}.
problem-not-allowed-cancel-challenge = Solo quien creó el reto puede cancelarlo.
problem-not-allowed-invite-links = Solo el dueño del equipo y los administradores crean sus enlaces de invitación.
problem-not-allowed-remove-member = Solo el dueño (o un administrador, para miembros) saca a alguien; para irte, sal del equipo.
problem-not-allowed-team-edit = Solo el dueño del equipo y los administradores pueden cambiarlo.
problem-not-allowed-team-owner = Solo el dueño del equipo puede hacer eso.
problem-not-appealable = Solo se pueden apelar registros retenidos o rechazados.
problem-not-friends = Las monedas solo van a amigos.
problem-out-of-stock = No hay existencias suficientes de este producto.
problem-out-of-stock-left = Solo quedan {$left} de {$product}.
problem-outdated = El registro cambió después de esta validación; revisa la más reciente.
problem-own-account-change = Los administradores no pueden cambiar su propia cuenta aquí; pide a otro administrador.
problem-own-account-coins = Los administradores no pueden ajustar sus propias monedas; pide a otro administrador.
problem-own-account-orders = Los administradores no pueden cambiar sus propios pedidos; pide a otro administrador.
problem-own-account-reports = Los administradores no pueden gestionar informes sobre sí mismos; pide a otro administrador.
problem-own-account-review = Los administradores no pueden revisar sus propios pasos; pide a otro administrador.
problem-own-request = Tú pediste este cambio; otro administrador debe aprobarlo.
problem-payout-not-held = Este reto no tiene ningún pago esperando a un administrador.
problem-purse-exhausted = Al fondo del patrocinador le quedan {$cents} céntimos; dona menos monedas.
problem-recently-promoted = Los administradores aprueban cambios tras 7 días como administrador.
problem-recipient-gift-limit-reached = Tu amigo recibió todos los regalos posibles en 24 horas; inténtalo mañana.
problem-shared-account = Las cuentas que comparten dispositivo, número de teléfono o dirección de envío no pueden pasarse monedas.
problem-stake-limit-reached = Te uniste a {$limit} retos con apuesta en los últimos 7 días, el máximo permitido.
problem-stake-too-large = Una apuesta es como mucho un cuarto de tus monedas disponibles ({$quarter}) y como mucho {$max}.
problem-stakes-not-available = Las apuestas con monedas no están disponibles en tu país (o tu perfil no indica ninguno); los retos sin apuesta sí.
problem-team-full = { $kind ->
        [club] Este club
       *[team] Este equipo
    } tiene {$limit} miembros, el máximo posible.
problem-team-limit = Ya estás en {$limit} { $kind ->
        [club] clubes
       *[team] equipos
    }, el máximo posible.
problem-timezone-change-too-soon = Tu zona horaria cambió hace menos de 24 horas; podrás cambiarla de nuevo después de {$after}.
problem-too-many-challenges = Ya estás en {$limit} retos; termina uno primero.
problem-too-many-invites = Ya tienes 10 enlaces de invitación; revoca uno o espera a que caduque.
problem-transfer-limit-reached = { $what ->
        [recipient] Una persona puede recibir
        [pair] Dos personas pueden moverse entre sí
       *[you] Puedes mover
    } como mucho {$limit} monedas en {$days} días.
