# Account mails. Each mail is a subject, paragraphs (.intro, .body), an optional button
# (.button, with the link under it) and small print (.note). The greeting and sign-off are
# shared. Dates are in the walker's time zone ({$zone}).

mail-greeting = Hi {$name},
mail-signoff = Happy walking,
    The FitKart team
mail-link-fallback = If the button doesn't work, open this link:

mail-verify-email = Confirm your email for FitKart
    .intro = Welcome to FitKart! Please confirm that {$email} is your address, so we can help you if you ever lose access, and so your coins can buy rewards.
    .button = Confirm my email
    .note = The link works once and expires in 24 hours. If you didn't sign up for FitKart, you can ignore this email.
mail-change-email = Confirm your new email for FitKart
    .intro = You asked to use {$email} for your FitKart account. Please confirm it's yours; until you do, your account keeps its current email.
    .button = Confirm my new email
    .note = The link works once and expires in 24 hours. If you didn't ask for this, you can ignore this email and nothing will change.
mail-reset-password = Reset your FitKart password
    .intro = Someone (hopefully you) asked to reset the password of the FitKart account for {$email}.
    .button = Choose a new password
    .note = The link works once and expires in 30 minutes. Resetting your password signs you out everywhere else. If you didn't ask for this, you can ignore this email; your password stays the same.
mail-email-changed = Your FitKart email was changed
    .intro = On {DATE($when)} ({$zone}) the email of your FitKart account became {$email}, so from now on you sign in with that address and we write to it instead of this one.
    .body = If you made this change, there's nothing else to do. If you didn't, someone may have your password: contact FitKart support from the app right away so we can secure your account.
mail-email-change-requested = Someone asked to change your FitKart email
    .intro = On {DATE($when)} ({$zone}) someone signed in to your FitKart account asked to move it to {$email}. The change happens only once that address confirms it; until then your account keeps this one.
    .body = If you asked for this, there's nothing else to do. If you didn't, someone has your password: cancel the change and sign every device out, then choose a new password with "Forgot password".
    .button = This wasn't me
    .note = The link works once and expires in 7 days.
mail-password-changed = Your FitKart password was changed
    .intro = The password of your FitKart account ({$email}) was changed on {DATE($when)} ({$zone}), and every device signed in before the change was signed out.
    .body = If you made this change, there's nothing else to do. If you didn't, someone may have your password or your inbox: sign every device out again and cancel any pending change of your email, then choose a new password with "Forgot password".
    .button = This wasn't me
    .note = The link works once and expires in 7 days.
