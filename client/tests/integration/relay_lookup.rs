//! Asking a mediator where many peers' relay connections are: one process keeps to a few
//! connections, however many peers it dials at once (a mediator caps the connections one
//! address may hold, and a burst of them from parties behind one address was refused).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mpc_client::relay::{LOOKUPS_IN_FLIGHT, RelayLookup};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A `/relay-info` server that answers each request after a pause, on kept-alive connections,
/// and counts the connections open at once; returns its base URL and the highest count.
async fn counting_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (open, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let highest = Arc::clone(&most);
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            let now = open.fetch_add(1, Ordering::SeqCst) + 1;
            most.fetch_max(now, Ordering::SeqCst);
            let open = Arc::clone(&open);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 1024];
                while let Ok(n) = tcp.read(&mut buffer).await {
                    if n == 0 {
                        break;
                    }
                    request.extend_from_slice(&buffer[..n]);
                    while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                        request.drain(..end + 4);
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        let body = "{}";
                        let answer = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if tcp.write_all(answer.as_bytes()).await.is_err() {
                            break;
                        }
                    }
                }
                open.fetch_sub(1, Ordering::SeqCst);
            });
        }
    });
    (base, highest)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifteen_peers_looked_up_at_once_take_a_few_connections_not_fifteen() {
    let (base, most) = counting_server().await;
    let lookup = RelayLookup::new().expect("lookup");
    let asked: Vec<_> = (0..15u8)
        .map(|i| {
            let (lookup, base) = (lookup.clone(), base.clone());
            tokio::spawn(async move { lookup.home(&base, &format!("{i:064x}")).await })
        })
        .collect();
    for answer in asked {
        assert_eq!(answer.await.expect("task").expect("answer"), None, "no relay named: the DID's is the one");
    }
    let most = most.load(Ordering::SeqCst);
    assert!(most <= LOOKUPS_IN_FLIGHT, "{most} connections open at once for one process's lookups");
}
