// `sqlx::migrate!` embeds the migrations when this crate compiles. On stable Rust a macro
// cannot ask cargo to watch a directory, so without this a new migration file would not
// rebuild the crate and every binary would silently keep the old set.
fn main() {
    println!("cargo:rerun-if-changed=../migrations");
}
