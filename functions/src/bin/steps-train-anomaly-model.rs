#[tokio::main]
async fn main() -> Result<(), fitkart::lambda::BoxError> {
    fitkart::lambda::serve_event(fitkart_functions::steps::train_anomaly_model).await
}
