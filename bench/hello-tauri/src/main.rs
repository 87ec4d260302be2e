fn main() {
    if let Err(error) = tauri::Builder::default().run(tauri::generate_context!()) {
        eprintln!("hello-tauri: {error}");
        std::process::exit(1);
    }
}
