//! `GET /v1/home`: the app's home screen in one call (`fitkart::home`).

use fitkart::http::{caller_tx, ok, Request, Response};
use fitkart::{App, Result};

pub async fn get(app: &App, req: Request) -> Result<Response> {
    let goal = app.settings().await?.daily_step_goal;
    let (me, mut tx) = caller_tx(app, &req).await?;
    let out = fitkart::home::get(
        &mut tx,
        me.user_id,
        goal,
        app.now(),
        fitkart::http::locale(&req),
    )
    .await?;
    tx.commit().await?;
    ok(&out)
}
