//! The walker's language through the handlers: a sign-up's `Accept-Language` becomes the
//! account's locale, mails come in it (read back from the SES emulator), problems are
//! told in it, a request may ask for another, and `PATCH /v1/me` changes it.

use fitkart_functions::{achievements, auth, me, notifications};
use fitkart_tests::mail::sent_to;
use fitkart_tests::{TestApp, User};
use serde_json::json;

#[tokio::test]
async fn a_walker_who_signs_up_in_german_gets_german_mail_and_german_problems() {
    let t = TestApp::new().await;
    let email = "greta.de@example.com";
    let signed_up = t
        .sign_up(email, "Europe/Berlin", Some("de-DE,de;q=0.9,en;q=0.8"))
        .await;
    assert_eq!(signed_up.status, 201, "{}", signed_up.body);
    assert_eq!(signed_up.body["user"]["locale"], "de");
    assert_eq!(signed_up.header("content-language"), Some("de"));
    let greta = User::from_session(&signed_up.body);

    // The confirmation mail, as SES received it.
    let mails = sent_to(email).await;
    let mail = mails.first().expect("a confirmation mail");
    assert_eq!(mail.subject, "Bestätige deine E-Mail-Adresse für FitKart");
    assert!(mail.html.contains("<html lang=\"de\">"), "{}", mail.html);
    assert!(mail.html.contains("Hallo Test Walker,"), "{}", mail.html);
    assert!(
        mail.html.contains("E-Mail-Adresse bestätigen"),
        "{}",
        mail.html
    );

    // A 422 with her token alone (no Accept-Language): German title and detail, the
    // code stays English for the app.
    let refused = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&greta.access_token)
        .json(json!({"full_name": null}))
        .send()
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.code(), "validation_failed");
    assert_eq!(refused.body["title"], "Anfrage nicht angenommen");
    assert_eq!(
        refused.body["detail"],
        "Die Anfrage enthält ungültige Felder."
    );
    assert_eq!(refused.header("content-language"), Some("de"));
    assert_eq!(refused.error_fields(), ["full_name"]);

    // The same request asking for French is answered in French, once.
    let french = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&greta.access_token)
        .header("accept-language", "fr-CA")
        .json(json!({"full_name": null}))
        .send()
        .await;
    assert_eq!(
        french.body["detail"],
        "La requête contient des champs non valides."
    );
    assert_eq!(french.header("content-language"), Some("fr"));

    // A refusal with its own code and numbers: the address is taken (a sign-up from a
    // German phone, before any account exists to say otherwise).
    let taken = t.sign_up(email, "UTC", Some("de")).await;
    assert_eq!((taken.status, taken.code()), (409, "email_taken"));
    assert_eq!(
        taken.body["detail"],
        "Es gibt schon ein Konto mit dieser E-Mail-Adresse."
    );
    // Without a language, English.
    let english = t.sign_up(email, "UTC", None).await;
    assert_eq!(
        english.body["detail"],
        "An account with this email already exists."
    );
    assert_eq!(english.header("content-language"), Some("en"));

    // Lists a walker reads are named in her language too.
    let list = t
        .call(achievements::list, "GET", "/v1/achievements")
        .bearer(&greta.access_token)
        .send()
        .await;
    let ten_k = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["code"] == "steps_10k")
        .unwrap();
    assert_eq!(ten_k["name"], "Zehntausend");
    assert_eq!(
        ten_k["description"],
        "Geh an einem Tag 10.000 bestätigte Schritte"
    );
    let preferences = t
        .call(
            notifications::get_preferences,
            "GET",
            "/v1/me/notifications",
        )
        .bearer(&greta.access_token)
        .send()
        .await;
    assert_eq!(
        preferences.body["labels"]["friend_request"],
        "Freundschaftsanfragen"
    );
}

#[tokio::test]
async fn the_locale_is_changed_with_patch_me_and_travels_with_the_next_token() {
    let t = TestApp::new().await;
    let walker = t.register("kenji@example.com").await;
    // An unknown tag is refused and changes nothing.
    let unknown = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&walker.access_token)
        .json(json!({"locale": "pt-BR", "full_name": "Kenji S."}))
        .send()
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);
    assert_eq!(unknown.error_fields(), ["locale"]);
    let profile = t
        .call(me::get, "GET", "/v1/me")
        .bearer(&walker.access_token)
        .send()
        .await;
    assert_eq!(
        (
            profile.body["locale"].as_str(),
            profile.body["full_name"].as_str()
        ),
        (Some("en"), Some("Test Walker"))
    );
    // The pseudo-locale is for local runs only.
    let pseudo = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&walker.access_token)
        .json(json!({"locale": "en-XA"}))
        .send()
        .await;
    assert_eq!(pseudo.status, 422, "{}", pseudo.body);

    let changed = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(&walker.access_token)
        .json(json!({"locale": "ja"}))
        .send()
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.body["locale"], "ja");
    assert_eq!(changed.header("content-language"), Some("ja"));
    // The next access token carries it: a problem is told in Japanese.
    let refreshed = t
        .call(auth::refresh, "POST", "/v1/auth/refresh")
        .json(json!({"refresh_token": walker.refresh_token}))
        .send()
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let token = refreshed.body["tokens"]["access_token"].as_str().unwrap();
    let refused = t
        .call(me::update, "PATCH", "/v1/me")
        .bearer(token)
        .json(json!({"timezone": "Mars/Olympus"}))
        .send()
        .await;
    assert_eq!(refused.status, 422);
    assert_eq!(refused.body["detail"], "リクエストに無効な項目があります。");
    assert_eq!(refused.header("content-language"), Some("ja"));
    // And the export says which language the account reads.
    let export = t
        .call(me::export, "GET", "/v1/me/export")
        .bearer(token)
        .send()
        .await;
    assert_eq!(export.body["profile"]["locale"], "ja", "{}", export.body);
}
