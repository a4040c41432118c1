#[tokio::main]
async fn main() -> Result<(), fitkart::lambda::BoxError> {
    fitkart::lambda::serve_http(fitkart_functions::social::delete_friend_request).await
}
