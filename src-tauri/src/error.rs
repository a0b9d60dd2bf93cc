//! The shell's one error type; it reaches the UI as `{ code, message }`.

use hookscope_core::registry::RegistryError;
use hookscope_core::store::StoreError;
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Registry(#[from] RegistryError),
    #[error("background task failed: {0}")]
    Task(String),
}

impl CommandError {
    fn code(&self) -> &'static str {
        match self {
            Self::Store(StoreError::NotFound(_) | StoreError::EndpointNotFound(_))
            | Self::Registry(RegistryError::Store(
                StoreError::NotFound(_) | StoreError::EndpointNotFound(_),
            )) => "not_found",
            Self::Store(StoreError::Invalid(_))
            | Self::Registry(RegistryError::Store(StoreError::Invalid(_)))
            | Self::Registry(RegistryError::EmptySecret | RegistryError::NoSuchSecret { .. }) => {
                "invalid"
            }
            Self::Registry(RegistryError::Secrets(_)) => "secrets",
            Self::Store(_) | Self::Registry(_) => "store",
            Self::Task(_) => "internal",
        }
    }
}

impl Serialize for CommandError {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("CommandError", 2)?;
        s.serialize_field("code", self.code())?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

pub type CommandResult<T> = Result<T, CommandError>;
