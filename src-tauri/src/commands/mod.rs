pub mod deliveries;
pub mod endpoints;
pub mod flovi;
pub mod server;
pub mod tunnel;
