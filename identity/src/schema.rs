//! The JSON Schemas in `schemas/`, compiled once and used to check documents at the edges.

use std::sync::LazyLock;

use jsonschema::Validator;
use serde_json::Value;

use crate::error::{Error, Result};

/// A schema this crate knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Schema {
    /// The plaintext of an invitation.
    Invitation,
    /// A DIDComm signed message.
    SignedMessage,
    /// The public identity record.
    Identity,
}

impl Schema {
    /// The schema's name, as used in messages.
    pub fn name(self) -> &'static str {
        match self {
            Schema::Invitation => "invitation",
            Schema::SignedMessage => "signed message",
            Schema::Identity => "identity record",
        }
    }

    /// The schema document itself.
    pub fn source(self) -> &'static str {
        match self {
            Schema::Invitation => include_str!("../../schemas/invitation.schema.json"),
            Schema::SignedMessage => include_str!("../../schemas/signed-message.schema.json"),
            Schema::Identity => include_str!("../../schemas/identity.schema.json"),
        }
    }

    /// Checks `instance`, reporting up to three violations with their JSON pointers.
    pub fn validate(self, instance: &Value) -> Result<()> {
        let validator = match self {
            Schema::Invitation => &*INVITATION,
            Schema::SignedMessage => &*SIGNED_MESSAGE,
            Schema::Identity => &*IDENTITY,
        };
        let details: Vec<String> = validator
            .iter_errors(instance)
            .take(3)
            .map(|e| {
                let at = e.instance_path().to_string();
                if at.is_empty() { e.to_string() } else { format!("at {at}: {e}") }
            })
            .collect();
        if details.is_empty() {
            Ok(())
        } else {
            Err(Error::SchemaViolation { schema: self.name(), details: details.join("; ") })
        }
    }
}

fn compile(schema: Schema) -> Validator {
    // The schemas are part of the source tree; a broken one is a build defect caught by the tests.
    #[allow(clippy::expect_used)]
    let document: Value = serde_json::from_str(schema.source()).expect("embedded schema is JSON");
    #[allow(clippy::expect_used)]
    jsonschema::draft202012::new(&document).expect("embedded schema compiles")
}

static INVITATION: LazyLock<Validator> = LazyLock::new(|| compile(Schema::Invitation));
static SIGNED_MESSAGE: LazyLock<Validator> = LazyLock::new(|| compile(Schema::SignedMessage));
static IDENTITY: LazyLock<Validator> = LazyLock::new(|| compile(Schema::Identity));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_schema_compiles_and_rejects_an_empty_object() {
        for schema in [Schema::Invitation, Schema::SignedMessage, Schema::Identity] {
            let err = schema.validate(&serde_json::json!({})).expect_err(schema.name()).to_string();
            assert!(err.contains("required"), "{err}");
        }
    }
}
