#[tokio::main]
async fn main() -> Result<(), fitkart::lambda::BoxError> {
    fitkart::lambda::serve_sqs(fitkart_functions::shopify::process).await
}
