//! A party's WebSocket to the mediator: sealed messages out, opened messages in.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mpc_identity::envelope::encrypted;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::Party;

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A WebSocket to the mediator at `base`.
pub async fn connect(base: &str) -> Socket {
    let url = format!("{}/ws", base.replace("http://", "ws://"));
    tokio_tungstenite::connect_async(url).await.expect("websocket").0
}

/// Sends a message of `kind` from `party`, sealed to the mediator.
pub async fn send(socket: &mut Socket, party: &Party, kind: &str, body: Value) {
    let message = party.message(kind, body);
    let jwe = encrypted::authcrypt(&message, &party.identity.keys, &party.kids[0], &party.mediator_keys).expect("seal");
    socket.send(Message::text(jwe)).await.expect("send");
}

/// The next DIDComm message on the socket, opened; fails after 5 s.
pub async fn next(socket: &mut Socket, party: &Party) -> Value {
    let frame = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("a message within 5 s")
        .expect("socket open")
        .expect("frame");
    party.open(frame.to_text().expect("text")).expect("a message")
}
