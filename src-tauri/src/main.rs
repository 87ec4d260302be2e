fn main(){ csfle_provisioner_app::run() }
