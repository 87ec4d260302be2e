pub fn run() {
    let _ = tauri::Builder::default().run(tauri::generate_context!());
}
