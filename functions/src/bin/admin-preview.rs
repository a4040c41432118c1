#[tokio::main]
async fn main() -> Result<(), fitkart::lambda::BoxError> {
    fitkart::lambda::serve_http(fitkart_functions::admin::preview).await
}
