# Push notifications: each message is the body, its .title the title. Dates are the
# walker's local day (DATE formats it); numbers are formatted for the language.

push-coins-credited = +{$coins} coins for your steps on {DATE($date)}.
    .title = Coins earned
push-day-held = Your steps on {DATE($date)} are held for a quick review. {$reasons} We'll tell you how it went.
    .title = A day is being checked
push-review-approved = Your steps on {DATE($date)} were approved and the coins are yours.
    .title = Review done: approved
push-review-rejected = Your steps on {DATE($date)} were not approved: {$note}
    .title = Review done
push-achievement-unlocked = {$name}! { $bonus ->
        [0] {""}
       *[other] +{$bonus} coins.
    }
    .title = Achievement unlocked
push-order-confirmed = Order {$order_code} is confirmed and being prepared.
    .title = Order confirmed
push-order-shipped = Order {$order_code} shipped.
    .title = Your reward is on its way
push-order-shipped-tracking = Order {$order_code} shipped, tracking {$tracking_number}.
    .title = Your reward is on its way
push-order-shipped-carrier = Order {$order_code} shipped with {$carrier}, tracking {$tracking_number}.
    .title = Your reward is on its way
push-order-delivered = Order {$order_code} was delivered. Enjoy!
    .title = Delivered
push-order-cancelled = Order {$order_code} was cancelled and your coins are back.
    .title = Order cancelled
push-order-refunded = Your coins for order {$order_code} are back.
    .title = Order refunded
push-streak-freeze = Your streak freeze covers today if you miss it; {$left} more steps keep the freeze for later.
    .title = Your streak is safe, for now
push-streak-at-risk = You're on a {$streak_days}-day streak: {$left} more steps today keep it alive.
    .title = Keep your streak going
push-challenge-invited = { $stake_coins ->
        [0] {$alias} invites you to {$title}.
       *[other] {$alias} invites you to {$title} for a stake of {$stake_coins} coins.
    }
    .title = You're challenged
push-challenge-started = {$title} has started. Every verified step counts!
    .title = The challenge is on
push-challenge-overtaken = {$alias} passed you in {$title}. Time for a walk?
    .title = You've been overtaken
push-challenge-cancelled = {$title} was cancelled; any stake is back in your wallet.
    .title = Challenge cancelled
push-challenge-ended = {$title} has ended. Results are final once late syncs and reviews are in.
    .title = The challenge is over
push-challenge-won = You won {$title}: +{$payout_coins} coins.
    .title = You won!
push-challenge-goal-met = You met the goal of {$title}: +{$payout_coins} coins.
    .title = Goal met
push-challenge-stake-returned = {$title} is settled and your {$payout_coins} coins are back.
    .title = Stake returned
push-challenge-lost = {$title} is settled. Better luck next time!
    .title = Challenge settled
push-gift-arrived = {$alias} sent you {$coins} coins. They're yours to spend in 7 days.
    .title = A gift for you
push-gift-settled = {$coins} gifted coins are now in your wallet.
    .title = Your gift is ready
push-gift-returned = Your gift of {$coins} coins was returned to your wallet.
    .title = Gift returned
push-gift-withdrawn = A pending gift of {$coins} coins to you was withdrawn.
    .title = Gift withdrawn
push-campaign-goal-reached = {$title} for {$charity} reached its goal. Thank you for giving!
    .title = Goal reached!
push-friend-request = {$alias} used your invite link. Accept to be friends.
    .title = Someone wants to walk with you
push-friend-accepted = {$alias} accepted: you're friends now. { $friends ->
        [one] You have one friend on FitKart.
       *[other] You have {$friends} friends on FitKart.
    }
    .title = New friend
push-team-joined = You joined {$team}.
    .title = Welcome to the team
push-team-goal-reached = {$team} walked {$steps} steps together and reached its goal!
    .title = Team goal reached
