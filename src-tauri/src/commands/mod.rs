pub mod deliveries;
pub mod endpoints;
pub mod flovi;
pub mod replay;
pub mod lab;
pub mod server;
