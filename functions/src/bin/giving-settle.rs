#[tokio::main]
async fn main() -> Result<(), fitkart::lambda::BoxError> {
    fitkart::lambda::serve_event(fitkart_functions::giving::settle).await
}
