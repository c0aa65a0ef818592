//! The DIDComm protocol identifiers mpc-id speaks, in one place: the mediator dispatches on them,
//! the client sends them, and both advertise them. A message type is its protocol's URI followed
//! by `/` and the message name (DIDComm v2.1, "Message Type URIs").

/// Routing 2.0: a sealed message for the next hop.
pub const ROUTING: &str = "https://didcomm.org/routing/2.0";
/// Routing 2.0 `forward`.
pub const FORWARD: &str = "https://didcomm.org/routing/2.0/forward";

/// Coordinate Mediation 3.0: enrolling with a mediator and keeping its recipient list.
pub const COORDINATE_MEDIATION: &str = "https://didcomm.org/coordinate-mediation/3.0";
/// Coordinate Mediation 2.0: the older names some clients still send.
pub const COORDINATE_MEDIATION_2: &str = "https://didcomm.org/coordinate-mediation/2.0";

/// Message Pickup 3.0: status, delivery, acknowledgement and live mode.
pub const PICKUP: &str = "https://didcomm.org/messagepickup/3.0";
/// Message Pickup 3.0 `status`.
pub const PICKUP_STATUS: &str = "https://didcomm.org/messagepickup/3.0/status";
/// Message Pickup 3.0 `delivery`.
pub const PICKUP_DELIVERY: &str = "https://didcomm.org/messagepickup/3.0/delivery";

/// Trust Ping 2.0.
pub const TRUST_PING: &str = "https://didcomm.org/trust-ping/2.0";
/// Trust Ping 2.0 `ping`.
pub const PING: &str = "https://didcomm.org/trust-ping/2.0/ping";
/// Trust Ping 2.0 `ping-response`.
pub const PING_RESPONSE: &str = "https://didcomm.org/trust-ping/2.0/ping-response";

/// Discover Features 2.0.
pub const DISCOVER_FEATURES: &str = "https://didcomm.org/discover-features/2.0";
/// Discover Features 2.0 `queries`.
pub const DISCOVER_QUERIES: &str = "https://didcomm.org/discover-features/2.0/queries";
/// Discover Features 2.0 `disclose`.
pub const DISCOVER_DISCLOSE: &str = "https://didcomm.org/discover-features/2.0/disclose";

/// Report Problem 2.0.
pub const REPORT_PROBLEM: &str = "https://didcomm.org/report-problem/2.0";
/// Report Problem 2.0 `problem-report`.
pub const PROBLEM_REPORT: &str = "https://didcomm.org/report-problem/2.0/problem-report";

/// Basic Message 2.0 `message`.
pub const BASIC_MESSAGE: &str = "https://didcomm.org/basicmessage/2.0/message";

/// Out-of-Band 2.0 `invitation`.
pub const OOB_INVITATION: &str = "https://didcomm.org/out-of-band/2.0/invitation";

/// Ours: emptying one's own queue at a mediator in one request (Message Pickup only deletes by
/// id, so a party whose queue an attacker filled would otherwise acknowledge it page by page).
pub const QUEUE: &str = "https://mpc-id.dev/queue/1.0";
/// Ours: `purge`.
pub const QUEUE_PURGE: &str = "https://mpc-id.dev/queue/1.0/purge";

/// Ours: a session's host leaving its program bundle at its mediator for the parties to fetch.
pub const PROGRAM_BUNDLE: &str = "https://mpc-id.dev/program-bundle/1.0";
/// Ours: `share` (a bundle as an attachment), answered by `shared` (its digest and URL).
pub const PROGRAM_BUNDLE_SHARE: &str = "https://mpc-id.dev/program-bundle/1.0/share";
/// Ours: the answer to `share`.
pub const PROGRAM_BUNDLE_SHARED: &str = "https://mpc-id.dev/program-bundle/1.0/shared";

/// Ours: gathering the parties of a session and agreeing on its program.
pub const SESSION: &str = "https://mpc-id.dev/session/1.0";

/// The protocols a mediator speaks, for Discover Features.
pub const MEDIATOR_PROTOCOLS: &[&str] = &[
    ROUTING,
    COORDINATE_MEDIATION,
    COORDINATE_MEDIATION_2,
    PICKUP,
    TRUST_PING,
    DISCOVER_FEATURES,
    REPORT_PROBLEM,
    QUEUE,
    PROGRAM_BUNDLE,
];

/// The message named `name` of `protocol` (`message_type(PICKUP, "live-delivery-change")`).
pub fn message_type(protocol: &str, name: &str) -> String {
    format!("{protocol}/{name}")
}

/// The message name of `kind` if it belongs to `protocol` (`"status"` for a Pickup status).
pub fn message_name<'a>(kind: &'a str, protocol: &str) -> Option<&'a str> {
    kind.strip_prefix(protocol)?.strip_prefix('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_names_belong_to_their_protocol_only() {
        assert_eq!(message_name(PICKUP_STATUS, PICKUP), Some("status"));
        assert_eq!(message_name(PICKUP_STATUS, TRUST_PING), None);
        // A protocol whose URI is a prefix of another's without the slash is not the same protocol.
        assert_eq!(message_name("https://didcomm.org/messagepickup/3.01/status", PICKUP), None);
        assert_eq!(message_type(PICKUP, "status"), PICKUP_STATUS);
    }
}
