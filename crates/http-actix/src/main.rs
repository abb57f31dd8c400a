fn main() {
    println!("gatehouse: the HTTP server is not built yet");
}
