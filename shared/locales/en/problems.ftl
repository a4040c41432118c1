# Problem details (RFC 9457 `title` and `detail`). The `code` of a problem is stable
# English for clients and is not translated; these are the words a person reads.

## Titles, by HTTP status.
problem-status-400 = Bad request
problem-status-401 = Not signed in
problem-status-403 = Not allowed
problem-status-404 = Not found
problem-status-405 = Method not allowed
problem-status-409 = Conflict
problem-status-413 = Request too large
problem-status-422 = Request not accepted
problem-status-429 = Too many requests
problem-status-500 = Something went wrong
problem-status-503 = Temporarily unavailable

## Details every route may answer.
problem-bad-request = The request could not be read: {$reason}
problem-validation-failed = The request has invalid fields.
problem-payload-too-large = The request body is larger than 64 KiB.
problem-unauthorized = A valid access token is required.
problem-invalid-credentials = The email or password is incorrect.
problem-invalid-refresh-token = The refresh token is invalid, expired or already used.
problem-invalid-id-token = The identity token could not be verified.
problem-invalid-signature = The webhook signature does not match its body.
problem-forbidden = You are not allowed to do this.
problem-not-found = The resource does not exist.
problem-method-not-allowed = This path allows only {$allow}.
problem-too-many-requests = Too many attempts; try again in {$seconds ->
    [one] {$seconds} second
   *[other] {$seconds} seconds
}.
problem-service-unavailable = A dependency is temporarily unavailable; retry later.
problem-internal = An unexpected error occurred.

## Refusals, each with its own code.

problem-account-day-held = { $whose ->
        [theirs] Their
        [participant] A participant's
       *[yours] Your
    } account has a day held for review; coins can't move until it is decided.
problem-account-exists = An account for this sign-in already exists.
problem-account-gone = { $whose ->
        [theirs] Their
        [participant] A participant's
       *[yours] Your
    } account is gone.
problem-account-too-new = Coins go to other people from accounts of at least {$days} days with {$verified_days} verified days of steps.
problem-account-under-review = { $whose ->
        [theirs] Their
        [participant] A participant's
       *[yours] Your
    } account is under review; coins can't move until it is decided.
problem-admin-exists = The first admins exist already; another admin is made by a change request a second admin approves (PATCH /v1/admin/users/{"{"}id{"}"}).
problem-already-appealed = This record was already appealed.
problem-already-decided = This change request was {$status} already.
problem-already-friends = You are friends already.
problem-already-handled = This report was handled already.
problem-already-member = You are in this team already.
problem-already-paid = This charity's month is marked paid already.
problem-already-reviewed = This validation was already {$status}.
problem-already-verified = Your email is already confirmed.
problem-below-minimum-payout = {$cents} cents is below the minimum payout of {$minimum}; it carries to the next month.
problem-campaign-closed = This campaign is not taking donations now.
problem-campaign-not-draft = Only a draft campaign is opened.
problem-challenge-finished = The challenge is already settled or cancelled.
problem-challenge-started = The challenge has started (or is over); it can no longer be cancelled.
problem-challenge-undecided = A day in the challenge is still to be reviewed; decide it first.
problem-change-request-expired = This change request expired (72 hours); ask for the change again.
problem-email-taken = An account with this email already exists.
problem-email-taken-link-sign-in = An account with this email exists; sign in with its password to link this sign-in.
problem-email-unverified = Confirm your email address before redeeming coins; we sent you a link.
problem-email-unverified-transfers = Confirm your email address before moving coins to others.
problem-friend-limit = { $whose ->
        [theirs] They have
       *[yours] You have
    } {$limit} friends already, the most there can be.
problem-friendship-too-new = Coins go to friends of at least {$days} days.
problem-gift-limit-reached = You sent {$limit} gifts in the last 24 hours, the most allowed.
problem-gift-not-pending = Only a pending gift can be reversed; this one has settled or was reversed.
problem-idempotency-key-reused = This Idempotency-Key was used for a different request.
problem-insufficient-coins = Not enough coins for this.
problem-invalid-code = This invite link is not valid.
problem-invalid-mfa-code = That code is not right (or was used already); enter the current code from your authenticator app.
problem-invalid-push-token = The push service refused this token.
problem-invalid-token = This link is invalid, was already used or has expired; ask for a new one.
problem-invalid-transition = An order that is {$from} cannot become {$to}.
problem-invitation-closed = This invitation is no longer open: it expired, was answered, or the challenge started or was cancelled.
problem-last-admin = This is the last active admin; make another admin first.
problem-mfa-already-enrolled = An authenticator is already set up for this account.
problem-mfa-not-enrolled = No authenticator is set up for this account yet (POST /v1/me/mfa/totp).
problem-mfa-not-started = Start setting up an authenticator first (POST /v1/me/mfa/totp).
problem-mfa-required = Admin routes need a second factor: enrol an authenticator app (POST /v1/me/mfa/totp) or sign in with its code (POST /v1/auth/mfa).
problem-month-not-over = A month is paid once it is over.
problem-monthly-cap-reached = Each person raises at most {$cap} cents a month here; {$left} left this month.
problem-monthly-gift-limit-reached = Gifts of at most {$limit} coins in any 30 days; {$left} left now.
problem-not-allowed-cancel-challenge = Only the challenge's creator cancels it.
problem-not-allowed-invite-links = Only the team's owner and admins make its invite links.
problem-not-allowed-remove-member = Only the owner, or an admin for members, removes people; to go, leave.
problem-not-allowed-team-edit = Only the team's owner and admins can change it.
problem-not-allowed-team-owner = Only the team's owner can do that.
problem-not-appealable = Only held or rejected records can be appealed.
problem-not-friends = Coins go only to friends.
problem-out-of-stock = Not enough stock for this product.
problem-out-of-stock-left = Only {$left} of {$product} left in stock.
problem-outdated = The record changed after this validation; review its latest validation instead.
problem-own-account-change = Admins can't change their own account here; ask another admin.
problem-own-account-coins = Admins can't adjust their own coins; ask another admin.
problem-own-account-orders = Admins can't change their own orders; ask another admin.
problem-own-account-reports = Admins can't act on reports about themselves; ask another admin.
problem-own-account-review = Admins can't review their own step records; ask another admin.
problem-own-request = You asked for this change; another admin must approve it.
problem-payout-not-held = This challenge has no payout waiting for an admin.
problem-purse-exhausted = The sponsor's purse has {$cents} cents left; give fewer coins.
problem-recently-promoted = Admins can approve changes once they have been an admin for 7 days.
problem-recipient-gift-limit-reached = Your friend received as many gifts as they may in 24 hours; try tomorrow.
problem-shared-account = Accounts that share a device, a phone number or a shipping address can't move coins to each other.
problem-stake-limit-reached = You joined {$limit} staked challenges in the last 7 days, the most allowed.
problem-stake-too-large = A stake may be at most a quarter of your available coins ({$quarter}) and at most {$max}.
problem-stakes-not-available = Coin stakes are not offered in your country (or your profile names none); challenges without a stake are.
problem-team-full = This { $kind ->
        [club] club
       *[team] team
    } has {$limit} members, the most there can be.
problem-team-limit = You are in {$limit} { $kind ->
        [club] clubs
       *[team] teams
    } already, the most there can be.
problem-timezone-change-too-soon = Your time zone changed less than 24 hours ago; you can change it again after {$after}.
problem-too-many-challenges = You are in {$limit} challenges already; finish one first.
problem-too-many-invites = You have 10 invite links already; revoke one or wait for one to expire.
problem-transfer-limit-reached = { $what ->
        [recipient] A person can receive
        [pair] Two people can move between them
       *[you] You can move
    } at most {$limit} coins in any {$days} days.
