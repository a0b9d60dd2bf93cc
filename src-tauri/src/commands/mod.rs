pub mod deliveries;
pub mod server;
