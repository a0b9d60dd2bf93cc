pub mod deliveries;
pub mod endpoints;
pub mod flovi;
pub mod handler_check;
pub mod lab;
pub mod replay;
pub mod server;
pub mod tunnel;
