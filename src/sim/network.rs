//! The lab fleet's network: a delay line that holds every byte a client
//! sends for a fixed time before the server reads it, so each round trip
//! (the TLS handshake's flights, every HTTP request and response) costs
//! that much, as across a real network. Timers, not spinning: an idle
//! delayed connection costs no CPU. The TCP handshake itself is the
//! kernel's and is not delayed.

use bytes::Bytes;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
use tokio::net::TcpStream;
use tokio::time::{Instant, sleep_until};

/// Room in the in-process pipe between the delay line and the server.
const PIPE_BYTES: usize = 64 * 1024;

/// Puts a delay line of `latency` between `tcp` and the server: the server
/// talks to the returned stream. Bytes from the client reach it `latency`
/// after they arrived; its answers go out at once. Each client flight is
/// timed from its own arrival, so a flight that comes while an earlier one
/// is held is not delayed twice.
pub fn delayed(tcp: TcpStream, latency: Duration) -> DuplexStream {
    let (server_side, line_side) = tokio::io::duplex(PIPE_BYTES);
    let (tcp_read, mut tcp_write) = tcp.into_split();
    let (mut from_server, to_server) = tokio::io::split(line_side);
    tokio::spawn(hold_and_forward(tcp_read, to_server, latency));
    tokio::spawn(async move {
        let _ = tokio::io::copy(&mut from_server, &mut tcp_write).await;
        let _ = tcp_write.shutdown().await;
    });
    server_side
}

/// Reads the client as bytes arrive (noting when) and hands each chunk on
/// `latency` after its arrival; the client's end of stream goes the same way.
async fn hold_and_forward(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::io::WriteHalf<DuplexStream>,
    latency: Duration,
) {
    let mut held: VecDeque<(Instant, Option<Bytes>)> = VecDeque::new();
    let mut buf = vec![0u8; 16 * 1024];
    let mut ended = false;
    loop {
        let due = held.front().map(|(at, _)| *at);
        tokio::select! {
            read = from.read(&mut buf), if !ended => {
                let chunk = match read {
                    Ok(n) if n > 0 => Some(Bytes::copy_from_slice(&buf[..n])),
                    _ => { ended = true; None }
                };
                held.push_back((Instant::now() + latency, chunk));
            }
            () = sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                match held.pop_front() {
                    Some((_, Some(bytes))) => {
                        if to.write_all(&bytes).await.is_err() {
                            return;
                        }
                    }
                    _ => {
                        let _ = to.shutdown().await;
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    /// A loopback pair: the client's stream and the server's delayed one.
    async fn pair(latency: Duration) -> (TcpStream, DuplexStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).await.unwrap();
        let (tcp, _) = listener.accept().await.unwrap();
        (client, delayed(tcp, latency))
    }

    #[tokio::test]
    async fn each_client_flight_is_held_and_answers_are_not() {
        for latency_ms in [0u64, 40, 120] {
            let latency = Duration::from_millis(latency_ms);
            let (mut client, mut server) = pair(latency).await;
            for round in 0..2 {
                let sent = Instant::now();
                client.write_all(b"ping").await.unwrap();
                let mut got = [0u8; 4];
                server.read_exact(&mut got).await.unwrap();
                let held = sent.elapsed();
                assert_eq!(&got, b"ping");
                assert!(held >= latency, "{latency_ms} ms, round {round}: held only {held:?}");
                assert!(held < latency + Duration::from_millis(500), "{latency_ms} ms: held {held:?}");
                let answered = Instant::now();
                server.write_all(b"pong").await.unwrap();
                client.read_exact(&mut got).await.unwrap();
                assert_eq!(&got, b"pong");
                if latency_ms > 0 {
                    assert!(answered.elapsed() < latency, "answers go at once: {:?}", answered.elapsed());
                }
            }
            drop(client);
            let mut rest = Vec::new();
            server.read_to_end(&mut rest).await.unwrap();
            assert!(rest.is_empty(), "the client's close reaches the server");
        }
    }

    #[tokio::test]
    async fn back_to_back_flights_are_delayed_once() {
        let latency = Duration::from_millis(200);
        let (mut client, mut server) = pair(latency).await;
        let sent = Instant::now();
        client.write_all(b"one").await.unwrap();
        tokio::time::sleep(Duration::from_millis(10)).await;
        client.write_all(b"two").await.unwrap();
        let mut got = [0u8; 6];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"onetwo");
        let held = sent.elapsed();
        assert!(held >= latency + Duration::from_millis(10), "{held:?}");
        assert!(held < 2 * latency, "the second flight was timed from its own arrival: {held:?}");
    }
}
